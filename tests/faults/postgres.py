"""A private PostgreSQL server for the fault suite, so a test may restart it under load.

The machine's shared PostgreSQL cannot be restarted by a test; this one lives in a temporary
directory (`initdb` + `pg_ctl`), listens only on 127.0.0.1 on a free port, trusts local
connections and is removed at the end. PostgreSQL refuses to run as root: as root the
commands run as the `postgres` system user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from tests.servers import free_port


def find_bindir() -> Path | None:
    """The newest PostgreSQL server binaries (Debian keeps them out of the PATH)."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda path: int(Path(path).parent.name) if Path(path).parent.name.isdigit() else 0,
    )
    for folder in reversed(candidates):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    on_path = shutil.which("pg_ctl")
    if on_path and (Path(on_path).parent / "initdb").exists():
        return Path(on_path).parent
    return None


class PrivatePostgres:
    """initdb once; start, stop and restart (fast mode, as an operator or a package update does)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self._as_user: list[str] = []
        owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]
        # Not under pytest's tmp folder: that one is private to root, and the server runs as
        # `postgres`.
        self.root = Path(tempfile.mkdtemp(prefix="gk-faults-pg-"))
        if owner is not None:
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.data = self.root / "data"
        self.log_file = self.root / "server.log"

    def _run(self, *command: str) -> None:
        # Output into a file, not a pipe: the server pg_ctl starts inherits it and would keep a
        # pipe open for ever.
        with (self.root / "pg_ctl.log").open("ab") as output:
            subprocess.run(
                [*self._as_user, *command],
                check=True,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                timeout=120,
            )

    def _pg_ctl(self, *args: str) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), *args)

    def init(self) -> None:
        self._run(
            str(self.bindir / "initdb"),
            "-D", str(self.data),
            "-U", "postgres",
            "-A", "trust",
            "-E", "UTF8",
            "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
            "-c fsync=off -c max_connections=100"
        )
        self._pg_ctl("-w", "-t", "60", "-l", str(self.log_file), "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-w", "-t", "60", "-m", mode, "stop")

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is cut, the server is back in a moment."""
        self._pg_ctl("-w", "-t", "60", "-l", str(self.log_file), "-m", "fast", "restart")

    def accepting(self) -> bool:
        try:
            psycopg.connect(self.admin_url, connect_timeout=2).close()
        except psycopg.OperationalError:
            return False
        return True

    def ensure_running(self) -> None:
        """Up again if a failed scenario left it stopped."""
        if not self.accepting():
            self.start()

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str) -> str:
        """A fresh database; its SQLAlchemy URL for DATABASE_URL."""
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self) -> None:
        """Stop whatever runs (immediately) and remove every file."""
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._pg_ctl("-w", "-t", "30", "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"
