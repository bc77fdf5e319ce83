"""Keeps `make run`'s processes up (web, worker, scheduler): a child that exits is started again after
a pause that doubles with each quick failure (1 s, 2 s, 4 s … capped at 30 s) and goes back to the
shortest once the child has stayed up a while, so one crash-looping child neither spins the CPU nor
takes the others down. Every exit and restart is logged; stopping the supervisor (Ctrl-C, SIGTERM)
stops every child, with SIGKILL for one that has not exited after a grace period.

Nothing of the app is imported here: scripts/run.py builds the commands, and the tests drive this
with plain Python children and a clock of their own."""
from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

log = logging.getLogger("witkey.supervisor")


@dataclass
class Backoff:
    """Pauses before a restart: `first`, doubling per failure in a row, at most `cap`."""

    first: float = 1.0
    cap: float = 30.0
    failures: int = 0

    def next_delay(self) -> float:
        delay = min(self.cap, self.first * 2 ** self.failures)
        self.failures += 1
        return delay

    def reset(self) -> None:
        self.failures = 0


@dataclass
class Child:
    name: str
    command: Sequence[str]
    backoff: Backoff
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None  # set while the child is down and waiting to be started again
    restarts: int = 0
    exits: list[int] = field(default_factory=list)


class Supervisor:
    """Starts each command, and restarts one that exits, until stop().

    `stable_after`: a child that ran at least this long before it exited is restarted after the
    shortest pause again (its failures in a row start over)."""

    def __init__(self, commands: Mapping[str, Sequence[str]], *, cwd=None, env=None,  # noqa: PLR0913
                 first_delay: float = 1.0, max_delay: float = 30.0, stable_after: float = 60.0,
                 grace: float = 10.0, clock: Callable[[], float] = time.monotonic, spawn=None):
        self.children = [Child(name, list(command), Backoff(first_delay, max_delay))
                         for name, command in commands.items()]
        self.stable_after, self.grace, self.clock = stable_after, grace, clock
        self._cwd, self._env = cwd, env
        self._spawn = spawn or self._popen
        self.stopping = False

    def _popen(self, command: Sequence[str]) -> subprocess.Popen:
        # Our own executables with fixed arguments (scripts/run.py), never shell input.
        return subprocess.Popen(command, cwd=self._cwd, env=self._env)  # noqa: S603

    def start(self) -> None:
        for child in self.children:
            self._start(child)

    def _start(self, child: Child) -> None:
        child.process = self._spawn(child.command)
        child.started_at, child.restart_at = self.clock(), None
        log.info("started %s (pid %s)", child.name, child.process.pid)

    def poll(self) -> None:
        """One look at every child: note an exit and when to restart it; restart those due."""
        now = self.clock()
        for child in self.children:
            if child.process is not None:
                code = child.process.poll()
                if code is None:
                    continue
                child.exits.append(code)
                child.process = None
                if self.stopping:
                    continue
                if now - child.started_at >= self.stable_after:
                    child.backoff.reset()
                delay = child.backoff.next_delay()
                child.restart_at = now + delay
                log.warning("%s exited with code %s after %.1f s; restarting it in %.1f s",
                            child.name, code, now - child.started_at, delay)
            elif not self.stopping and child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self._start(child)

    def run(self, interval: float = 0.2) -> None:
        """Start the children and keep them up until stop() (from a signal handler) or Ctrl-C."""
        self.start()
        try:
            while not self.stopping:
                self.poll()
                time.sleep(interval)
        except KeyboardInterrupt:
            pass
        finally:
            self.shutdown()

    def stop(self, *_signal_args) -> None:
        """Ask the loop to end (safe to call from a signal handler)."""
        self.stopping = True

    def shutdown(self) -> None:
        """Terminate every running child; SIGKILL one still running after the grace period."""
        self.stopping = True
        running = [child for child in self.children if child.process is not None and child.process.poll() is None]
        for child in running:
            child.process.terminate()
        deadline = time.monotonic() + self.grace
        for child in running:
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s; killing it", child.name, self.grace)
                child.process.kill()
                child.process.wait()
            log.info("stopped %s", child.name)
