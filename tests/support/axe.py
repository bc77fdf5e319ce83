"""axe-core (npm axe-core, pinned in the Makefile's AXE_VERSION, vendored as tests/assets/axe.min.js,
MPL-2.0, licence beside it) run in the page under test. It is handed to the browser as an init script
(through the DevTools protocol, so the app's Content-Security-Policy stays as strict as it is and the
app never serves the file)."""
from pathlib import Path

AXE = Path(__file__).resolve().parent.parent / "assets" / "axe.min.js"
# Serious and critical violations, and two moderate ones the issue names: skipped heading levels and
# landmarks of one kind without distinct labels (several <nav>s).
ALSO = ("heading-order", "landmark-unique")

RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => ['serious', 'critical'].includes(v.impact) || %s.includes(v.id)).map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\\n')[1]),
    count: v.nodes.length}));
}"""


def with_axe(page):
    """Load axe into every document this page opens from now on."""
    page.add_init_script(path=str(AXE))
    return page


def severe_violations(page, where: str) -> list[str]:
    """The page's serious and critical axe violations (and ALSO's), one line each: rule, count, first nodes."""
    found = page.evaluate(RUN % list(ALSO))
    return [f"{where}: {v['id']} ({v['impact']}, {v['count']}×) {v['help']}: {' | '.join(v['nodes'])}" for v in found]
