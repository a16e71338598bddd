"""A private PostgreSQL server for the tests: ``initdb`` into a temporary directory, ``pg_ctl``
on a Unix socket there (no TCP port at all), stopped and removed at the end of the session.

PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user (Debian's
package creates it) through ``runuser``. Where no server binary exists (a user's clone without
PostgreSQL), :func:`find_binaries` says why and the tests that need the server skip with that
reason; CI installs Debian's ``postgresql`` (``.ci/run``).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PostgresServer", "find_binaries"]

_counter = itertools.count()


def find_binaries() -> tuple[Path | None, str]:
    """The directory holding ``initdb`` and ``pg_ctl``, or ``None`` and why not."""
    candidates = [shutil.which("initdb")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            directory = Path(candidate).resolve().parent
            if (directory / "pg_ctl").exists() or shutil.which("pg_ctl"):
                break
    else:
        return None, "no PostgreSQL server binaries (initdb, pg_ctl): install postgresql"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return None, "running as root without runuser to start PostgreSQL as another user"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return None, "running as root and there is no postgres user to run the server as"
    return directory, ""


@dataclass
class PostgresServer:
    """One running server; :meth:`new_database` gives each test a database of its own."""

    binaries: Path
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="nbg-pg-")))

    @property
    def socket_dir(self) -> Path:
        return self.directory

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://nbg@/{database}?host={self.socket_dir}"

    def _as_server_user(self, *command: str) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *command]
        return list(command)

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        data = self.directory / "data"
        subprocess.run(
            self._as_server_user(
                str(self.binaries / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "nbg",
                "--no-sync",
                "-E",
                "UTF8",
            ),
            check=True,
            capture_output=True,
        )
        subprocess.run(
            self._as_server_user(
                str(self.binaries / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                f"-k {self.socket_dir} -c listen_addresses='' -F -c max_connections=200",
                "-l",
                str(self.directory / "log"),
                "-w",
                "start",
            ),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        subprocess.run(
            self._as_server_user(
                str(self.binaries / "pg_ctl"),
                "-D",
                str(self.directory / "data"),
                "-m",
                "immediate",
                "stop",
            ),
            capture_output=True,
        )
        shutil.rmtree(self.directory, ignore_errors=True)

    def new_database(self) -> str:
        """A fresh, empty database; returns its URL (:meth:`drop_database` removes it)."""
        import psycopg

        name = f"t{os.getpid()}_{next(_counter)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name} TEMPLATE template0 STRATEGY FILE_COPY")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Remove a database :meth:`new_database` made (each one is a few MB on disk)."""
        import psycopg

        name = url.split("@/", 1)[1].split("?", 1)[0]
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
