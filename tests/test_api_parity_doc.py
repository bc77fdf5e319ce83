"""docs/api-parity.md stays true (issue 20, item 2): every state-changing web route (a POST outside
/api/v1) has its row, and every API operation the document names exists in the OpenAPI document — so a
new web action without its API counterpart, or a renamed operation, fails here."""
import re
from pathlib import Path

from tests.support import api_coverage

DOC = Path(__file__).resolve().parent.parent / "docs" / "api-parity.md"
ROW = re.compile(r"^\| `POST (?P<rule>[^`]+)` \| (?P<api>[^|]+) \|", re.MULTILINE)
OPERATION = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`]*)`")


def test_every_web_action_has_a_row(app):
    web = {rule.rule for rule in app.url_map.iter_rules()
           if "POST" in rule.methods and not rule.rule.startswith("/api/")}
    documented = {m["rule"] for m in ROW.finditer(DOC.read_text())}
    assert sorted(web - documented) == [], "web actions missing from docs/api-parity.md"
    assert sorted(documented - web) == [], "rows for web routes that no longer exist"


def test_every_operation_the_document_names_exists():
    operations = api_coverage.operations()
    # the second column of every table row names API operations (the first names web routes)
    rows = [line.split("|") for line in DOC.read_text().splitlines() if line.startswith("| `")]
    named = {op for cells in rows for op in OPERATION.findall(cells[2])}
    assert named, "the table names no operation"
    assert sorted(named - operations) == []


def test_a_web_action_without_an_api_operation_says_why():
    for match in ROW.finditer(DOC.read_text()):
        if not OPERATION.search(match["api"]):
            assert match["api"].strip() == "—"
            line = DOC.read_text()[match.start():].splitlines()[0]
            assert len(line.rsplit("|", 2)[1].strip()) > 20, f"no reason given: {line}"
