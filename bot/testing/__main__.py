"""Run the fake Bot API server: python -m bot.testing --port 8081."""

import sys

from bot.testing.fake_server import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
