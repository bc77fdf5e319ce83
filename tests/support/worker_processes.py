"""Real RQ worker processes (`flask worker --burst`) on this test process's database and Redis."""
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.backends import start

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")


def worker_env(**extra: str) -> dict:
    config = start()
    return {**os.environ, "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": config["REDIS_URL"],
            "WITKEY_INSTANCE": config["INSTANCE_PATH"], "SECRET_KEY": "worker-test", "FLASK_APP": "app", **extra}


def run_worker_burst(*options: str, **extra: str):
    """Run every queued job in a real worker process, until the queues are empty; its output.
    `options`: more of its command line (`--queues`, `mail`); `extra`: more environment (MAIL_URL, say)."""
    result = subprocess.run([FLASK, "worker", "--burst", *options], check=False, cwd=ROOT, env=worker_env(**extra),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def start_worker(**extra: str) -> subprocess.Popen:
    """A real `flask worker --burst` in its own process group (so SIGKILL reaches its work horse too)."""
    return subprocess.Popen([FLASK, "worker", "--burst"], cwd=ROOT, env=worker_env(**extra),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def kill_worker(process: subprocess.Popen) -> None:
    """SIGKILL a worker from start_worker and its work horses: RQ's work horse calls setpgrp(), so killing
    the worker's process group alone leaves a running horse behind (and it finishes its job)."""
    horses = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == process.pid:  # its parent is the worker
            horses.append(int(stat.parent.name))
    os.killpg(process.pid, signal.SIGKILL)  # the worker first: it would record a horse killed before it as failed
    for pid in horses:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    process.wait()
