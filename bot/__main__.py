"""``python -m bot``: same as the ``ppa-bot`` command."""

from bot.cli import main

raise SystemExit(main())
