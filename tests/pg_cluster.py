"""A throwaway PostgreSQL cluster for the tests: Debian's binaries, initdb in a temp folder, the
server on a unix socket there (no TCP port), fsync off; stopped and deleted at the end.

Root cannot run postgres, so as root the cluster belongs to ``nobody`` (``runuser``).
KHOMUN_TEST_DATABASE_URL points the tests at a server of your own instead.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

__all__ = ["Cluster", "binaries", "start_cluster"]

USER = "khomun"


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl (Debian keeps them off PATH), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


class Cluster:
    def __init__(self, url: str, stop: list[str] | None = None, folder: Path | None = None) -> None:
        self.url = url
        self._stop = stop
        self._folder = folder

    def database_url(self) -> str:
        """A fresh, empty schema of its own, as a URL (every store of a test shares it)."""
        name = "t_" + uuid.uuid4().hex[:12]
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        sep = "&" if "?" in self.url else "?"
        return f"{self.url}{sep}options={quote(f'-csearch_path={name}')}"

    def drop(self, url: str) -> None:
        """Drop the schema of ``url`` and close the pools opened on it."""
        from state.db import close_pools

        close_pools(url)
        name = url.rsplit("search_path%3D", 1)[-1]
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")

    def stop(self) -> None:
        if self._stop:
            subprocess.run(self._stop, capture_output=True, timeout=30, check=False)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


def _as_owner(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "nobody", "--", *argv] if os.geteuid() == 0 else argv


@contextlib.contextmanager
def start_cluster() -> Iterator[Cluster]:
    """A running cluster (or the one KHOMUN_TEST_DATABASE_URL names); raises LookupError with
    the reason when PostgreSQL is not installed."""
    given = os.environ.get("KHOMUN_TEST_DATABASE_URL", "")
    if given:
        yield Cluster(given)
        return
    bin_dir = binaries()
    if bin_dir is None:
        raise LookupError(
            "PostgreSQL binaries not found: apt-get install postgresql (or set KHOMUN_TEST_DATABASE_URL)"
        )
    folder = Path(tempfile.mkdtemp(prefix="khpg-"))  # short: a unix socket path has ~100 bytes
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
    data = folder / "data"
    subprocess.run(
        _as_owner(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = (
        f"-k {folder} -c listen_addresses='' -c fsync=off -c full_page_writes=off -c max_connections=200"
    )
    pg_ctl = str(bin_dir / "pg_ctl")
    subprocess.run(
        _as_owner(
            [pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "-t", "60", "start"]
        ),
        check=True,
        capture_output=True,
        timeout=90,
    )
    cluster = Cluster(
        f"postgresql://{USER}@/postgres?host={quote(str(folder), safe='')}",
        _as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
        folder,
    )
    try:
        yield cluster
    finally:
        cluster.stop()
