"""The ``ppa-bot`` command: run the bot, the demo, set-up, SOPs, audit, keys, backups, exports."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

from bot.config import (
    ConfigError,
    Settings,
    env_file_warning,
    load_offices,
    load_settings,
)
from bot.config_examples import check_not_example
from bot.crypto import Cipher, KeyError_, UnknownKeyError, generate_key
from bot.store.pg_sql import redact_url

__all__ = ["main"]

NO_TOKEN = """TELEGRAM_BOT_TOKEN is not set, so the bot cannot connect to Telegram.

To get a token:
  1. In Telegram, open a chat with @BotFather and send /newbot.
  2. Choose a name and a username ending in "bot"; BotFather answers with a token
     like 123456789:AAE...
  3. Put it in .env as TELEGRAM_BOT_TOKEN=123456789:AAE... and run this again.

To see the bot working without Telegram, run the offline demo:
  ppa-bot demo        (or: make demo)"""


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs full URLs, which contain the bot token
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _warn_env_file() -> None:
    """A .env readable by group or others leaks the key: say so, in one line."""
    warning = env_file_warning()
    if warning is not None:
        print(warning, file=sys.stderr)


def _wrong_key(exc: UnknownKeyError) -> str:
    return (
        f"PPA_SECRET_KEY (key id {exc.current}) is not the key this database was written "
        f"with (key id {exc.found}). Put the right key in .env (after rotate-key: the new one)."
    )


def _settings() -> Settings:
    settings = load_settings()
    try:
        Cipher(settings.ppa_secret_key)
    except KeyError_ as exc:
        raise ConfigError(str(exc)) from None
    load_offices(settings.ppa_offices)
    check_not_example(settings.ppa_offices, allow=settings.ppa_allow_example)
    if (problem := settings.whatsapp_problem()) is not None:
        raise ConfigError(problem)
    return settings


async def _check_key(settings: Settings) -> None:
    """Refuse to start under a key the stored data was not written with (UnknownKeyError)."""
    from bot.security.keys import RotationInterrupted, check_key
    from bot.store.db import Database

    db = await Database.open(settings.ppa_database)
    try:
        await check_key(db, Cipher(settings.ppa_secret_key))
    except RotationInterrupted as exc:
        raise ConfigError(str(exc)) from None
    finally:
        await db.close()


def cmd_run(args: argparse.Namespace) -> int:
    """Run the bot (long polling through the durable inbox)."""
    _warn_env_file()
    settings = load_settings()
    if not settings.telegram_bot_token.strip():
        print(NO_TOKEN, file=sys.stderr)
        return 2
    settings = _settings()
    if args.whatsapp_listen and not settings.whatsapp_enabled:
        return _fail("--whatsapp-listen needs the WHATSAPP_ settings (see README, WhatsApp).")
    _setup_logging(settings.ppa_log_level)
    from bot.store.pg import is_postgres_url
    from bot.store.pg_lock import instance_lock

    lock = None if is_postgres_url(settings.ppa_database) else instance_lock(settings.ppa_database)
    if lock is not None and not lock.acquire():
        return _fail(
            f"another ppa-bot is already running on {redact_url(str(settings.ppa_database))} "
            f"(lock {lock.path}). Stop it first, or use another PPA_DATABASE."
        )

    from bot.serve import serve, serve_with_leadership

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await _check_key(settings)
        # SQLite: this process alone (the lock file); PostgreSQL: one instance leads
        await (serve if lock is not None else serve_with_leadership)(settings, args, stop)

    try:
        asyncio.run(main())
    except Exception as exc:  # InvalidToken and friends: one clear line
        from telegram.error import InvalidToken

        if isinstance(exc, InvalidToken):
            return _fail("TELEGRAM_BOT_TOKEN was refused by Telegram. Check it with @BotFather.")
        raise
    finally:
        if lock is not None:
            lock.release()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Offline demo through the real Application and a fake Telegram."""
    from bot.demo import run_demo

    # staff in the example roster never opened a chat with the fake bot: their task
    # messages fail as Telegram would refuse them; keep the transcript readable
    logging.basicConfig(level=logging.CRITICAL)

    try:
        return asyncio.run(run_demo(verbose=not args.quiet))
    except BrokenPipeError:
        # the reader went away (`ppa-bot demo | head`): stop quietly, as a pipe tool should
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def cmd_migrate(_: argparse.Namespace) -> int:
    """Create or upgrade the database schema."""
    settings = load_settings()
    from bot.store.db import Database

    async def main() -> tuple[list[str], int]:
        db = await Database.open(settings.ppa_database, migrate=False)
        try:
            applied = await db.migrate()
            return applied, await db.version()
        finally:
            await db.close()

    applied, version = asyncio.run(main())
    print(
        f"{redact_url(str(settings.ppa_database))}: schema version {version}"
        + (f" (applied {', '.join(applied)})" if applied else " (up to date)")
    )
    return 0


def cmd_check_config(_: argparse.Namespace) -> int:
    """Validate settings, key, offices and SOP files."""
    from bot.channels.telegram.addresses import staff_group_chat

    _warn_env_file()
    settings = _settings()
    offices = load_offices(settings.ppa_offices)
    shown = redact_url(str(settings.ppa_database))
    print(f"settings: ok (database {shown}, time scale {settings.ppa_time_scale})")
    print(f"token: {'set' if settings.telegram_bot_token else 'NOT SET (ppa-bot run will refuse)'}")
    print(f"api: {settings.telegram_api_base_url}")
    if settings.whatsapp_enabled:
        print(f"whatsapp: on (api {settings.whatsapp_api_base_url})")
    else:
        print("whatsapp: off (no WHATSAPP_ settings)")
    for o in offices:
        print(
            f"office {o.id}: {o.name} ({o.timezone}), staff group {staff_group_chat(o)}, "
            f"{len(o.roster)} staff"
        )
    from bot.sops_cli import SOPS_DIR, sops_check

    return sops_check(SOPS_DIR, settings.ppa_offices)


def cmd_init(_: argparse.Namespace) -> int:
    """Write .env from .env.example with a fresh key, unless .env exists."""
    from pathlib import Path

    env, example = Path(".env"), Path(".env.example")
    if env.exists():
        print(".env exists; leaving it as it is.")
        return 0
    if not example.exists():
        return _fail(".env.example not found; run this in the project folder.")
    lines = []
    for line in example.read_text(encoding="utf-8").splitlines():
        if line.startswith("PPA_SECRET_KEY="):
            line = f"PPA_SECRET_KEY={generate_key()}"
        lines.append(line)
    # created 0600 from the first byte: the key is never readable by others, not even briefly
    fd = os.open(env, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    env.chmod(0o600)
    print("wrote .env with a new PPA_SECRET_KEY (keep a copy of it somewhere safe).")
    return 0


def cmd_keygen(_: argparse.Namespace) -> int:
    """Print a new PPA_SECRET_KEY."""
    print(generate_key())
    return 0


def cmd_sops(args: argparse.Namespace) -> int:
    """Check or show the SOP files."""
    from bot.sops_cli import SOPS_DIR, sops_check, sops_show

    if args.sops_command == "show":
        return sops_show(args.key, SOPS_DIR)
    return sops_check(SOPS_DIR, load_settings().ppa_offices)


def cmd_audit(_: argparse.Namespace) -> int:
    """Verify the audit log's hash chain."""
    settings = load_settings()
    from bot.store.audit import verify_chain
    from bot.store.db import Database

    async def main() -> tuple[int, int | None]:
        db = await Database.open(settings.ppa_database)
        try:
            async with db.reading() as conn:
                return await verify_chain(conn)
        finally:
            await db.close()

    count, broken = asyncio.run(main())
    if broken is not None:
        print(f"audit log BROKEN at entry {broken} (checked {count} entries)", file=sys.stderr)
        return 1
    print(f"audit log ok: {count} entries")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser."""
    p = argparse.ArgumentParser(prog="ppa-bot", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (long polling, or a webhook)")
    run.add_argument("--webhook-url", help="public HTTPS URL for Telegram's webhook")
    run.add_argument("--listen", default="127.0.0.1:8443", help="host:port for the webhook")
    run.add_argument("--whatsapp-listen", help="host:port for the WhatsApp webhook (off if unset)")
    run.set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", help="offline demo with a fake Telegram")
    demo.add_argument("--quiet", action="store_true")
    demo.set_defaults(func=cmd_demo)
    sub.add_parser("migrate", help="create/upgrade the database").set_defaults(func=cmd_migrate)
    sub.add_parser("check-config", help="validate the configuration").set_defaults(
        func=cmd_check_config
    )
    sub.add_parser("keygen", help="print a new PPA_SECRET_KEY").set_defaults(func=cmd_keygen)
    sub.add_parser("init", help="write .env with a new key (if missing)").set_defaults(
        func=cmd_init
    )
    sops = sub.add_parser("sops", help="SOP files")
    sops_sub = sops.add_subparsers(dest="sops_command", required=True)
    sops_sub.add_parser("check", help="validate all SOP files and office profiles")
    show = sops_sub.add_parser("show", help="show one SOP as a table and a Mermaid diagram")
    show.add_argument("key")
    sops.set_defaults(func=cmd_sops)
    audit = sub.add_parser("audit", help="audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="check the hash chain")
    audit.set_defaults(func=cmd_audit)
    from bot import admin_cli, breach_cli, reports_cli

    admin_cli.register(sub)
    reports_cli.register(sub)
    breach_cli.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; configuration errors (a wrong key too) print one line and exit 2."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        return _fail(str(exc))
    except UnknownKeyError as exc:
        return _fail(_wrong_key(exc))
    return code
