"""A throwaway PostgreSQL server for tests: initdb in a temporary folder, a Unix socket only."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["PgServer", "PgServerError", "find_pg_bin"]

_PORT = 5432  # only names the socket file inside the private folder: no TCP port is opened
_SETTINGS = (
    "-c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    " -c max_connections=200"
)


class PgServerError(RuntimeError):
    """The server could not be started; the message says why."""


def find_pg_bin() -> Path | None:
    """PostgreSQL's server programs: $PPA_PG_BIN, else the newest /usr/lib/postgresql/N/bin."""
    given = os.environ.get("PPA_PG_BIN")
    if given:
        return Path(given) if (Path(given) / "initdb").exists() else None
    found = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return found[-1] if found else None


class PgServer:
    """A cluster of its own; as root it runs as the ``postgres`` user (it refuses root)."""

    def __init__(self, bin_dir: Path, root: Path) -> None:
        self.bin = bin_dir
        self.root = root
        self.data = root / "data"
        self.socket = root / "sock"
        self._user: dict[str, Any] = {}

    @classmethod
    def start(cls, bin_dir: Path | None = None) -> PgServer:
        """initdb and start a new cluster in a new temporary folder."""
        found = bin_dir or find_pg_bin()
        if found is None:
            raise PgServerError("PostgreSQL server programs not found (install postgresql-15)")
        server = cls(found, Path(tempfile.mkdtemp(prefix="ppa-pg-")))
        try:
            server._start()
        except BaseException:
            server.stop()
            raise
        return server

    def _start(self) -> None:
        self.socket.mkdir()
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            self._user = {"user": user.pw_uid, "group": user.pw_gid}
            for path in (self.root, self.socket):
                os.chown(path, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip
        options = f"-p {_PORT} -k {self.socket} {_SETTINGS}"
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-t", "60",
                  "-o", options, "start")  # fmt: skip

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            [str(self.bin / program), *args],
            capture_output=True, text=True, cwd=self.root, check=False, **self._user,
        )  # fmt: skip
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PgServerError(f"{program} failed: {done.stderr.strip()} {tail}".strip())

    def url(self, database: str = "postgres") -> str:
        """A libpq URL of one database on this server (over its Unix socket)."""
        return f"postgresql://postgres@/{database}?host={self.socket}&port={_PORT}"

    def stop(self) -> None:
        """Stop the server at once and remove its folder."""
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(PgServerError):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
