"""Alembic migrations of the task domain, shipped inside the package (see `tasks.db.upgrade`)."""
