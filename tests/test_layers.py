"""The structure that keeps the code easy to change, held by tests: jobs named by services exist, only
the runners commit, and only a unique-constraint race is a conflict (any other integrity error is a bug)."""
import ast
import inspect
import logging
import re
from enum import StrEnum
from pathlib import Path

import grimp
import pytest

import models  # noqa: F401  (every model module, so every status enum is defined)
from app import create_app
from extensions import db
from models import User
from workers import jobs

ROOT = Path(__file__).resolve().parent.parent
TASK_CALLS = {"after_commit", "enqueue"}


def _calls(folder: str):
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                yield path.relative_to(ROOT), node


def test_every_job_a_service_or_route_queues_is_a_job_of_the_workers():
    named = {}
    for folder in ("services", "blueprints"):
        for path, call in _calls(folder):
            if call.func.attr in TASK_CALLS and isinstance(call.func.value, ast.Name) \
                    and call.func.value.id == "tasks" and call.args:
                assert isinstance(call.args[0], ast.Constant), f"{path}:{call.lineno} names its job by a literal"
                named[call.args[0].value] = f"{path}:{call.lineno}"
    assert {"send_pending_refunds", "run_payout_batch", "award_partner_badges", "reconcile_ledger",
            "recompute_all_ratings"} <= set(named)
    for name, where in named.items():
        assert inspect.isfunction(getattr(jobs, name, None)), f"{where} queues {name}, which workers.jobs lacks"


def test_no_module_imports_itself_back_through_others():
    """No import cycle anywhere in the app, function-level imports included (grimp sees those too)."""
    graph = grimp.build_graph("services", "workers", "blueprints", "models", "texts", "i18n", "demo", cache_dir=None)
    cycles = [(m, n) for m in graph.modules for n in graph.find_modules_directly_imported_by(m)
              if graph.chain_exists(importer=n, imported=m)]
    assert cycles == []


def test_only_the_runners_commit_in_services():
    commits = [f"{path}:{call.lineno}" for path, call in _calls("services")
               if call.func.attr == "commit" and "runners" not in path.parts]
    assert commits == []
    assert any(call.func.attr == "commit" for path, call in _calls("services/runners"))


@pytest.fixture(scope="module")
def bare_app(app):
    """An app with two routes that break a constraint, as a bug or a race would."""
    made = create_app({**app.config, "WTF_CSRF_ENABLED": False})

    def add(email: str | None):
        db.session.add(User(email=email, password_hash="x", role="brand", display_name="Twin"))
        db.session.flush()
        return {}

    @made.post("/api/v1/_twice")
    def twice():
        add("twin@example.com")
        db.session.commit()
        return add("twin@example.com")

    @made.post("/api/v1/_null")
    def null():
        return add(None)

    return made


def test_a_unique_race_is_a_conflict_and_a_not_null_bug_is_a_logged_500(bare_app, caplog):
    client = bare_app.test_client()
    r = client.post("/api/v1/_twice")
    assert r.status_code == 409 and r.json["error"]["code"] == "conflict"
    with caplog.at_level(logging.ERROR):
        r = client.post("/api/v1/_null")
    assert r.status_code == 500 and r.json["error"]["code"] == "internal_error"
    assert "IntegrityError" in caplog.text


def test_no_template_compares_a_status_with_a_literal():
    """Pages ask the services what a user may do (`allowed_actions`); they never branch on status words."""
    enums = [enum for enum in StrEnum.__subclasses__() if enum.__module__.startswith("models.")]
    assert len(enums) >= 9
    words = sorted({member.value for enum in enums for member in enum}, key=len, reverse=True)
    either = "|".join(map(re.escape, words))
    literal = re.compile(r"""\.status\s*(==|!=|in|not in)\s*[\(\[]?\s*['"]|['"](""" + either
                         + r""")['"]\s*(==|!=|in)\s*\w*\.?status""")
    hits = [f"{path.relative_to(ROOT)}:{n}" for path in sorted((ROOT / "templates").rglob("*.html"))
            for n, line in enumerate(path.read_text().splitlines(), 1) if literal.search(line)]
    assert hits == []
