"""The check that every OpenAPI operation is exercised (tests/support/api_coverage.py) really fails:
fed a fake set of seen operations it names the missing ones and fails the session; a request is
recorded under its OpenAPI path only when it succeeded and did not come from the fuzzer."""
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import request_finished

from tests.support import api_coverage


def _session(directory: Path):
    config = SimpleNamespace(api_coverage_dir=str(directory))
    return SimpleNamespace(config=config, exitstatus=pytest.ExitCode.OK)


def test_the_document_lists_operations_with_their_path_templates():
    documented = api_coverage.operations()
    assert ("GET", "/tenders/{tender_id}") in documented
    assert ("PATCH", "/bids/{bid_id}") in documented
    assert ("POST", "/milestones/{milestone_id}/fund") in documented


def test_a_session_that_missed_an_operation_fails_and_names_it(tmp_path):
    documented = api_coverage.operations()
    left_out = ("POST", "/milestones/{milestone_id}/fund")
    (tmp_path / "gw0.txt").write_text("".join(f"{m} {p}\n" for m, p in sorted(documented - {left_out})))
    session = _session(tmp_path)
    api_coverage.pytest_sessionfinish(session, exitstatus=0)
    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED
    assert session.config.api_coverage_missing == [left_out]


def test_a_session_that_exercised_everything_passes_across_worker_files(tmp_path):
    documented = sorted(api_coverage.operations())
    half = len(documented) // 2
    (tmp_path / "gw0.txt").write_text("".join(f"{m} {p}\n" for m, p in documented[:half]))
    (tmp_path / "gw1.txt").write_text("".join(f"{m} {p}\n" for m, p in documented[half:]))
    session = _session(tmp_path)
    api_coverage.pytest_sessionfinish(session, exitstatus=0)
    assert session.exitstatus == pytest.ExitCode.OK
    assert session.config.api_coverage_missing == []


@pytest.fixture
def recording(tmp_path, monkeypatch):
    """The recorder writing to a file of its own for this test (whatever the real run records)."""
    file = tmp_path / "main.txt"
    monkeypatch.setitem(api_coverage._state, "file", file)  # noqa: SLF001
    monkeypatch.setitem(api_coverage._state, "seen", set())  # noqa: SLF001
    monkeypatch.setitem(api_coverage._state, "test", "tests/test_api_coverage.py::x")  # noqa: SLF001
    if api_coverage._state["connected"]:  # noqa: SLF001
        # the real run records: leave it connected (connected_to would disconnect it on the way out,
        # and this worker would record nothing after this test)
        yield file
        return
    with request_finished.connected_to(api_coverage._record):  # noqa: SLF001
        yield file


def test_successful_api_requests_are_recorded_under_their_template(recording, api, make_user):
    caller = api(make_user("brand"))
    assert caller.get("/tenders/999999").status_code == 404  # refused: not recorded
    assert caller.get("/me").status_code == 200
    assert caller.get("/tenders").status_code == 200
    assert api_coverage.read_seen(recording.parent) >= {("GET", "/me"), ("GET", "/tenders")}
    assert ("GET", "/tenders/{tender_id}") not in api_coverage.read_seen(recording.parent)


def test_the_fuzzers_requests_do_not_count(recording, api, make_user, monkeypatch):
    monkeypatch.setitem(api_coverage._state, "test", "tests/test_api_fuzz.py::test_x")  # noqa: SLF001
    assert api(make_user("brand")).get("/me").status_code == 200
    assert ("GET", "/me") not in api_coverage.read_seen(recording.parent)


@pytest.mark.parametrize(("keyword", "markexpr", "args", "whole"), [
    ("", "", [], True),
    ("", "", ["tests"], True),
    ("bids", "", [], False),
    ("", "not browser", [], False),
    ("", "", ["tests/test_api_bids.py"], False),
])
def test_only_an_unnarrowed_run_is_checked(keyword, markexpr, args, whole):
    root = Path(__file__).resolve().parent.parent
    config = SimpleNamespace(option=SimpleNamespace(keyword=keyword, markexpr=markexpr), args=args,
                             rootpath=root, invocation_params=SimpleNamespace(dir=root),
                             getini=lambda name: ["tests"])
    assert api_coverage.whole_suite(config) is whole
