"""``python -m bot`` — the same as ``troly bot``."""

from troly.cli.bot import main

if __name__ == "__main__":
    main()
