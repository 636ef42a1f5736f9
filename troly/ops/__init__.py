"""Operating an installation: clear a data folder, back it up and restore it, check it (`troly doctor`).

Each job is its own module (`reset`, `backup`, `doctor`); `troly.cli.ops` turns them into `troly` commands.
"""
