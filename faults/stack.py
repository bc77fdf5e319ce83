"""The app as it runs in production, against the campaign's own servers: migrations, then gunicorn
(several workers), the RQ worker (`flask worker`) and the scheduler (`flask cron`).

Two launchers (`--launcher`):
- `run.py` (default): `scripts/run.py`, the production entry point, which starts the three and
  watches them; whatever it does when a child dies (today: it stops everything) is under test too.
- `direct`: the three processes started here, each on its own, and never restarted by us.
Either way the campaign never restarts anything while a fault is being judged: a process that died and
took the app with it shows as a failed recovery, and only then is the stack restarted (counted in the
table's `restarts` column) so that the next fault is still measured."""
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WEB_WORKERS = 3


def stop_all(roots: list[subprocess.Popen], grace: float) -> None:
    """Stop processes started in their own sessions, and anything they started: SIGTERM to each group,
    `grace` seconds to exit, then SIGKILL to every pid still alive (by group and by pid: a child that
    left its group is still found)."""
    pids = [p.pid for p in roots] + [c for p in roots for c in children_of(p.pid)]
    for root in roots:
        if root.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(root.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
    for pid in pids:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    for root in roots:
        with contextlib.suppress(subprocess.TimeoutExpired):
            root.wait(timeout=5)


def app_env(database_url: str, redis_url: str, base: Path, port: int) -> dict:
    """The environment of every app process: our servers, settlement without hold or minimum (so a
    batch has money to pay minutes after the load released it), no login limit for the load."""
    return {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "FLASK_APP": "app",
            "WITKEY_INSTANCE": str(base / "instance"), "SECRET_KEY": "fault-campaign-only",
            "PAYOUT_HOLD_DAYS": "0", "PAYOUT_MIN": "1", "LOGIN_RATE_LIMIT": "100000 per minute",
            "LOGIN_ACCOUNT_FAILURE_LIMIT": "100000 per minute", "REGISTER_EMAIL_RATE_LIMIT": "100000 per minute",
            "PORT": str(port), "PYTHONUNBUFFERED": "1", "STRIPE_SECRET_KEY": "",
            # its own control socket, not the machine-wide default other gunicorns would share
            "GUNICORN_CMD_ARGS": f"--workers {WEB_WORKERS} --timeout 30 --graceful-timeout 5 "
                                 f"--control-socket {base / 'gunicorn.ctl'}"}


def children_of(pid: int) -> list[int]:
    """Every descendant of `pid`, from /proc (parents first)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(0), []):
            found.append(child)
            todo.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class Stack:
    env: dict
    base: Path
    port: int
    launcher: str = "run.py"
    roots: list[subprocess.Popen] = field(default_factory=list)
    restarts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = (self.base / "app.log").open("a")
        if self.launcher == "run.py":
            commands = [[str(BIN / "python"), "scripts/run.py"]]
        else:
            commands = [[str(BIN / "flask"), "worker"], [str(BIN / "flask"), "cron"],
                        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "app:create_app()"]]
        # our own executables with fixed arguments; each in its own session so cleanup takes the group
        self.roots = [subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log,  # noqa: S603
                                       start_new_session=True) for command in commands]
        if not self.wait_answering(60):
            raise RuntimeError(f"the app did not answer on {self.url} within 60 s (see {self.base / 'app.log'})")
        self.wait_for(lambda: self.worker_pid() is not None and self.web_worker_pids(), 30)

    def stop(self) -> None:
        stop_all(self.roots, grace=10)
        self.roots = []

    def restart(self) -> None:
        self.stop()
        self.restarts += 1
        self.start()

    # --- processes ---------------------------------------------------------------------------------

    def _processes(self) -> list[int]:
        found = []
        for root in self.roots:
            if alive(root.pid):
                found.append(root.pid)
            found += [pid for pid in children_of(root.pid) if alive(pid)]
        return found

    def _find(self, needle: str) -> list[int]:
        return [pid for pid in self._processes() if needle in cmdline(pid)]

    def worker_pid(self) -> int | None:
        """The RQ worker's main process (its work horse is a child with the same command line)."""
        pids = self._find("flask worker")
        main = [pid for pid in pids if _ppid(pid) not in pids]
        return main[0] if main else None

    def worker_processes(self) -> list[int]:
        return self._find("flask worker")

    def web_master_pid(self) -> int | None:
        pids = self._find("gunicorn")
        main = [pid for pid in pids if _ppid(pid) not in pids]
        return main[0] if main else None

    def web_worker_pids(self) -> list[int]:
        master = self.web_master_pid()
        return [pid for pid in self._find("gunicorn") if pid != master]

    def dead_parts(self) -> list[str]:
        """Which of web, worker and scheduler are not running now."""
        missing = []
        if self.web_master_pid() is None:
            missing.append("web")
        if self.worker_pid() is None:
            missing.append("worker")
        if not self._find("flask cron"):
            missing.append("scheduler")
        return missing

    # --- answering ---------------------------------------------------------------------------------

    def answering(self, token: str | None = None) -> bool:
        """The app answers a request that needs the database (with a token: /me; else the tender list)."""
        try:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            path = "/api/v1/me" if token else "/api/v1/tenders?per_page=1"
            return requests.get(self.url + path, headers=headers, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def wait_answering(self, seconds: float, token: str | None = None) -> bool:
        return self.wait_for(lambda: self.answering(token), seconds)

    @staticmethod
    def wait_for(condition, seconds: float, step: float = 0.02) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(step)
        return False


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return -1
