"""Issue 14 finding 12: the dependency tree is locked with hashes (requirements*.lock, `make lock`), and
every top-level pin people edit in requirements*.txt is in the lock at the same version, with hashes."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#]+)")


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def top_level_pins(path: Path) -> dict[str, str]:
    pins = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line.startswith("-r "):
            pins.update(top_level_pins(path.parent / line[3:].strip()))
        elif match := PIN.match(line):
            pins[_name(match.group(1))] = match.group(2)
    return pins


def locked(path: Path) -> dict[str, tuple[str, list[str]]]:
    """name → (version, hashes) from a pip-compile --generate-hashes file."""
    entries, current = {}, None
    for line in path.read_text().splitlines():
        if match := PIN.match(line):
            current = _name(match.group(1))
            entries[current] = (match.group(2), [])
        elif current and (hashed := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            entries[current][1].append(hashed.group(1))
        elif not line.startswith((" ", "\t")):
            current = None
    return entries


@pytest.mark.parametrize(("source", "lock"), [("requirements.txt", "requirements.lock"),
                                              ("requirements-dev.txt", "requirements-dev.lock")])
def test_every_top_level_pin_is_locked_at_its_version_with_hashes(source, lock):
    assert (ROOT / lock).exists(), f"{lock} is missing: run `make lock`"
    pins, entries = top_level_pins(ROOT / source), locked(ROOT / lock)
    assert pins
    wrong = {name: (version, entries.get(name, (None,))[0]) for name, version in pins.items()
             if entries.get(name, (None,))[0] != version}
    assert wrong == {}, f"pinned (requirements) vs locked: {wrong}; run `make lock`"
    unhashed = [name for name, (_version, hashes) in entries.items() if not hashes]
    assert unhashed == []
    # nothing machine-specific in a committed lock
    assert not re.search(r"^--(extra-)?index-url|^--find-links", (ROOT / lock).read_text(), re.MULTILINE)


def test_make_installs_from_the_locks_with_required_hashes():
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements.lock" in makefile
    assert "--require-hashes -r requirements-dev.lock" in makefile
    assert re.search(r"^\$\(VENV\)/\.runtime: requirements\.lock", makefile, re.MULTILINE)
    assert re.search(r"^\$\(VENV\)/\.dev: requirements-dev\.lock", makefile, re.MULTILINE)
