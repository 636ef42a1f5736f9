"""The application layer: the chat's use cases, between the Telegram adapter (`bot/`) and the domains.

Each use case is a plain function ``fn(session, viewer, ...)`` run by the bot's database runner in a worker
thread: it resolves who is asking (`app.viewer`), authorises, changes (the domain audits and commits) and
returns screens — Telegram HTML and rows of (label, callback data) (`tasks.ui.Screen`), no Telegram type — so
a handler only translates an update into one call and a screen into one send. This is also the one place
allowed to join `tasks/` and `retrieval/` (work-or-document routing, the "Văn bản giao" passages).

May import: tasks, retrieval, vntext. Never: bot, troly, telegram (checked by tests/test_architecture.py).
"""
