"""Real RQ worker processes (`flask worker --burst`) on this test process's database and Redis."""
import os
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


def run_worker_burst(**extra: str):
    """Run every queued job in a real worker process, until the queues are empty; its output.
    `extra`: more environment for the worker (MAIL_URL, say)."""
    result = subprocess.run([FLASK, "worker", "--burst"], check=False, cwd=ROOT, env=worker_env(**extra),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def start_worker(**extra: str) -> subprocess.Popen:
    """A real `flask worker --burst` in its own process group (so SIGKILL reaches its work horse too)."""
    return subprocess.Popen([FLASK, "worker", "--burst"], cwd=ROOT, env=worker_env(**extra),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
