"""A real primary and streaming replica on loopback, started by the tests themselves.

The primary is a new cluster (initdb, on a free port: it needs ``wal_level = replica`` and a
replication entry in pg_hba, which initdb's trust defaults give and the CI server's
configuration need not); the replica is ``pg_basebackup -R`` of it, streaming from it. Both
log every statement, so a test can tell which one ran a request's reads.

The binaries are the system's PostgreSQL (Debian: /usr/lib/postgresql/<n>/bin) or, without
one, the embedded ``pgserver`` package's. Run as root, the servers run as the ``postgres`` or
``pgserver`` system user (PostgreSQL refuses root).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from orgql.db.replicas import parse_lsn

#: Starting, stopping or copying a server never takes longer than this on a loaded machine.
TIMEOUT_SECONDS = 120
#: Waiting for the replica to replay never takes longer than this.
DEADLINE_SECONDS = 60


def _bin_dirs() -> Iterator[Path]:
    system = Path("/usr/lib/postgresql")
    if system.is_dir():
        yield from sorted(system.glob("*/bin"), reverse=True)
    with contextlib.suppress(ImportError):
        import pgserver  # type: ignore[import-untyped]

        yield Path(pgserver.__file__).parent / "pginstall" / "bin"


def find_bin_dir() -> Path:
    needed = ("initdb", "pg_ctl", "pg_basebackup", "postgres")
    for folder in _bin_dirs():
        if all((folder / name).exists() for name in needed):
            return folder
    raise RuntimeError("no PostgreSQL binaries with pg_basebackup (system or pgserver)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _server_user() -> str | None:
    """The system user the servers run as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "pgserver"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and no postgres or pgserver user to run servers as")


@dataclass
class Cluster:
    root: Path
    bin_dir: Path
    user: str | None
    primary_port: int = 0
    replica_port: int = 0

    @property
    def primary_dir(self) -> Path:
        return self.root / "primary"

    @property
    def replica_dir(self) -> Path:
        return self.root / "replica"

    def url(self, port: int, database: str = "orgql") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{database}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    def log(self, which: str) -> Path:
        return self.root / f"{which}.log"

    def log_size(self, which: str) -> int:
        return self.log(which).stat().st_size

    def log_since(self, which: str, offset: int) -> str:
        with self.log(which).open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode("utf-8", "replace")

    def run(self, program: str, *args: str) -> None:
        subprocess.run(  # noqa: S603 (PostgreSQL's own programs, our arguments)
            [str(self.bin_dir / program), *args],
            check=True,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            user=self.user,
            cwd=self.root,
        )

    def start(self) -> None:
        self.primary_port = free_port()
        self.run(
            "initdb", "-D", str(self.primary_dir), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        with (self.primary_dir / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# tests/replicas/replica_cluster.py\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
                "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                "fsync = off\nfull_page_writes = off\nshared_buffers = 32MB\n"
                "log_statement = 'all'\nlog_min_messages = warning\n"
            )
        self.pg_ctl_start(self.primary_dir, self.primary_port, "primary")
        self.replica_port = free_port()
        self.run(
            "pg_basebackup", "-D", str(self.replica_dir), "-h", "127.0.0.1",
            "-p", str(self.primary_port), "-U", "postgres", "-R", "-X", "stream",
            "-c", "fast", "--no-sync",
        )  # fmt: skip
        self.start_replica()

    def pg_ctl_start(self, data_dir: Path, port: int, which: str) -> None:
        self.run(
            "pg_ctl", "-D", str(data_dir), "-l", str(self.log(which)), "-w",
            "-t", str(TIMEOUT_SECONDS), "-o", f"-p {port}", "start",
        )  # fmt: skip

    def start_replica(self) -> None:
        self.pg_ctl_start(self.replica_dir, self.replica_port, "replica")

    def stop_replica(self) -> None:
        self.run("pg_ctl", "-D", str(self.replica_dir), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        for data_dir in (self.replica_dir, self.primary_dir):
            if (data_dir / "postmaster.pid").exists():
                with contextlib.suppress(subprocess.SubprocessError):
                    self.run("pg_ctl", "-D", str(data_dir), "-m", "immediate", "-w", "stop")


@contextlib.contextmanager
def running_cluster() -> Iterator[Cluster]:
    """A primary and its replica, both stopped and deleted at the end."""
    user = _server_user()
    root = Path(tempfile.mkdtemp(prefix="orgql-replicas-"))
    if user is not None:
        shutil.chown(root, user)
    cluster = Cluster(root, find_bin_dir(), user)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


async def primary_position(primary: AsyncEngine) -> int:
    async with primary.connect() as connection:
        return parse_lsn(str(await connection.scalar(text("SELECT pg_current_wal_lsn()::text"))))


async def replayed(replica: AsyncEngine) -> int:
    async with replica.connect() as connection:
        value = await connection.scalar(text("SELECT pg_last_wal_replay_lsn()::text"))
    return parse_lsn(str(value))


async def wait_for_replay(replica: AsyncEngine, position: int) -> None:
    """Until the replica has replayed ``position`` (replay running)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while await replayed(replica) < position:
        if time.monotonic() > deadline:
            raise AssertionError("the replica did not replay in time")
        await asyncio.sleep(0.02)
