"""The fault campaign's own servers: a PostgreSQL cluster and a Redis, on free local ports, with
their data under the campaign's temporary directory. Never the shared 5432 / 6379.

PostgreSQL refuses to run as root, so when we are root `initdb` and `pg_ctl` run as the `postgres`
user (`runuser -u postgres --`) and the temporary directory is handed to it."""
import glob
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

SHARED_PORTS = {5432, 6379}


def free_port() -> int:
    """A port nothing listens on now (the kernel's choice), never one of the shared servers'."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in SHARED_PORTS:
            return port


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        found = [shutil.which(name) or ""]
    if not found[-1]:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return found[-1]  # the newest major version


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class Postgres:
    base: Path
    port: int = field(default_factory=free_port)
    user: str = "witkey"
    database: str = "witkey_faults"

    @property
    def data(self) -> Path:
        return self.base / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(_as_postgres(list(command)), check=check, capture_output=True, text=True,  # noqa: S603
                              timeout=120)

    def init(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--locale=C")
        with (self.data / "postgresql.conf").open("a") as conf:
            # a small server: the machine is shared; durability as in production (fsync on)
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.base}'\n"
                       "max_connections = 60\nshared_buffers = 32MB\nlog_min_messages = warning\n")
        self.start()
        self._run(_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, self.database)

    def start(self) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.base / "postgres.log"), "-w", "-t", "60",
                  "start")

    def stop_immediately(self) -> None:
        """`pg_ctl -m immediate stop`: every backend is killed, no checkpoint; recovery replays the WAL."""
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop", check=False)

    def ready(self) -> bool:
        return subprocess.run([_pg_bin("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],  # noqa: S603
                              check=False).returncode == 0


@dataclass
class Redis:
    """One redis-server on a free port with its data directory. It runs with an append-only file
    fsynced every write; a restart *without* persistence is the same stop with the data files deleted
    before the start (what a restarted `--save "" --appendonly no` server, or a replaced machine, has)."""

    base: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def data(self) -> Path:
        return self.base / "redis"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        log = (self.base / "redis.log").open("a")
        self.process = subprocess.Popen(  # noqa: S603
            [shutil.which("redis-server") or "redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
             "--dir", str(self.data), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--daemonize", "no"], stdout=log, stderr=log, start_new_session=True)
        client = redis.Redis(port=self.port, socket_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def wipe(self) -> None:
        """The data files gone: the next start begins empty."""
        shutil.rmtree(self.data, ignore_errors=True)
