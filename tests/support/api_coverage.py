"""Every operation of the OpenAPI document is exercised by at least one test (issue 20, "done when").

While the suite runs, each request Flask serves under /api/v1 is recorded as (METHOD, OpenAPI path)
from the URL rule that served it, with the test that sent it. An operation counts as exercised when a
test got a success (2xx) answer from it: a refusal alone proves the guard, not the operation. The
schema fuzzer (tests/test_api_fuzz.py) reaches every operation with generated data by design, so its
requests do not count.

Each process (the single one, or every xdist worker) appends what it saw to its own file in a directory
the controller made; at the end the controller reads them all and fails the session, naming what no test
exercised. The check runs only on the whole suite — `make test` sets WITKEY_API_COVERAGE=1 — and only
when no -k, -m or path narrowed the run: a partial run cannot tell.
"""
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from flask import request, request_finished

ENV = "WITKEY_API_COVERAGE"
PREFIX = "/api/v1"
# Requests from these test modules do not count (generated data reaches everything without asserting it).
NOT_COUNTED = ("tests/test_api_fuzz.py",)

_state = {"file": None, "seen": set(), "test": None, "connected": False}


def operations() -> set[tuple[str, str]]:
    """(METHOD, path) of every operation in the OpenAPI document, paths as the document writes them."""
    from blueprints.api.openapi import build_document  # noqa: PLC0415 (the app's modules load after conftest)

    paths = build_document()["paths"]
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


def unexercised(documented: set[tuple[str, str]], seen: set[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(documented - seen, key=lambda op: (op[1], op[0]))


def read_seen(directory: Path) -> set[tuple[str, str]]:
    seen = set()
    for file in directory.glob("*.txt"):
        for line in file.read_text().splitlines():
            method, _, path = line.partition(" ")
            if path:
                seen.add((method, path))
    return seen


def _record(sender, response, **_extra):
    rule = request.url_rule
    if _state["file"] is None or rule is None or not rule.rule.startswith(PREFIX):
        return
    if not 200 <= response.status_code < 300 or (_state["test"] or "").startswith(NOT_COUNTED):
        return
    from blueprints.api.openapi import openapi_path  # noqa: PLC0415

    op = (request.method, openapi_path(rule.rule[len(PREFIX):]))
    if op not in _state["seen"]:
        _state["seen"].add(op)
        with _state["file"].open("a") as out:  # appended at once: a worker that dies keeps what it saw
            out.write(f"{op[0]} {op[1]}\n")


_NARROWING = ("ignore", "ignore_glob", "deselect", "lf", "failedfirst", "exitfirst")


def whole_suite(config) -> bool:
    """True when nothing narrowed the run: no -k, -m, --ignore, --deselect or --last-failed, no path other
    than the configured test paths."""
    option = config.option
    if option.keyword or option.markexpr or any(getattr(option, name, None) for name in _NARROWING):
        return False
    testpaths = {str(Path(config.rootpath, p)) for p in config.getini("testpaths")} | {str(config.rootpath)}
    return all(str(Path(config.invocation_params.dir, arg)) in testpaths for arg in config.args)


def pytest_configure(config):
    if os.environ.get(ENV) != "1":
        return
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        directory = workerinput.get("api_coverage_dir")
        name = workerinput["workerid"]
    else:
        if not whole_suite(config):
            config.api_coverage_note = f"{ENV}=1 but the run was narrowed: the API coverage check is skipped"
            return
        directory = config.api_coverage_dir = tempfile.mkdtemp(prefix="witkey-api-coverage-")
        name = "main"
    if directory:
        _state["file"] = Path(directory) / f"{name}.txt"
        request_finished.connect(_record)
        _state["connected"] = True


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """xdist: hand each worker the directory to write to."""
    node.workerinput["api_coverage_dir"] = getattr(node.config, "api_coverage_dir", None)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _state["test"] = item.nodeid


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item):
    _state["test"] = item.nodeid  # fixtures' teardown requests count for the same test


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    directory = getattr(config, "api_coverage_dir", None)
    if directory is None or hasattr(config, "workerinput"):
        return
    missing = unexercised(operations(), read_seen(Path(directory)))
    shutil.rmtree(directory, ignore_errors=True)
    config.api_coverage_missing = missing
    if missing and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config):
    if note := getattr(config, "api_coverage_note", None):
        terminalreporter.write_line(note, yellow=True)
    missing = getattr(config, "api_coverage_missing", None)
    if missing is None:
        return
    if not missing:
        terminalreporter.write_line("API coverage: every OpenAPI operation was exercised by a test", green=True)
        return
    terminalreporter.section("API operations no test exercised (no 2xx answer outside the fuzzer)", red=True)
    for method, path in missing:
        terminalreporter.write_line(f"{method} {PREFIX}{path}")
