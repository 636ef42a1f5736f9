"""``python -m bot`` — the same as ``troly bot``."""

from bot.cli import main

if __name__ == "__main__":
    main()
