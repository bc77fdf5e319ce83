"""`make run`'s supervisor (runtime/supervisor.py): a child that dies is restarted with a pause that
doubles per quick failure up to a cap and starts over once it stayed up; stopping stops every child."""
import os
import signal
import sys
import time

import pytest

from runtime.supervisor import Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def _until(check, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def supervisor():
    made = []

    def make(commands, **options):
        made.append(Supervisor(commands, **options))
        return made[-1]

    yield make
    for s in made:
        s.shutdown()


def test_a_killed_child_is_restarted_and_the_others_keep_running(supervisor):
    s = supervisor({"worker": SLEEPER, "web": SLEEPER}, first_delay=0.1, grace=5)
    s.start()
    worker, web = s.children
    killed, web_pid = worker.process.pid, web.process.pid
    os.kill(killed, signal.SIGKILL)

    def restarted():
        s.poll()
        return worker.process is not None and worker.process.pid != killed

    assert _until(restarted)
    assert worker.exits == [-signal.SIGKILL] and worker.restarts == 1
    assert web.process.pid == web_pid and web.process.poll() is None and web.restarts == 0
    s.shutdown()
    assert worker.process.poll() is not None and web.process.poll() is not None  # stopping stops all


def test_restart_pauses_double_up_to_the_cap_and_start_over_after_a_stable_run():
    """A child that exits at once, on a clock the test moves: pauses 1, 2, 4 … 30 s; after a run
    longer than `stable_after` the next pause is 1 s again."""
    now = [0.0]

    class Exited:
        pid = 1
        code = 1

        def poll(self):
            return self.code

    spawned = []

    def spawn(command):
        spawned.append(now[0])
        return Exited()

    s = Supervisor({"worker": ["x"]}, first_delay=1, max_delay=30, stable_after=60, clock=lambda: now[0], spawn=spawn)
    s.start()
    pauses = []
    for _ in range(7):
        s.poll()  # sees the exit and schedules the restart
        child = s.children[0]
        pauses.append(child.restart_at - now[0])
        now[0] = child.restart_at - 0.01
        s.poll()
        assert len(spawned) == len(pauses)  # not restarted before its time
        now[0] = child.restart_at
        s.poll()
        assert len(spawned) == len(pauses) + 1
    assert pauses == [1, 2, 4, 8, 16, 30, 30]
    now[0] += 61  # this run lasted longer than stable_after
    s.poll()
    assert s.children[0].restart_at - now[0] == 1


def test_stop_ends_the_loop_and_terminates_every_child(supervisor):
    s = supervisor({"a": SLEEPER, "b": SLEEPER}, first_delay=0.1, grace=5)
    s.start()
    processes = [child.process for child in s.children]
    s.stop()  # what SIGTERM's handler does
    s.poll()
    s.shutdown()
    assert all(p.poll() is not None for p in processes)
    assert all(child.restarts == 0 for child in s.children)  # nothing restarted while stopping
