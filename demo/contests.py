"""Two demo contests (比稿) with entries drawn by Pillow at seed time: a running blind logo contest
with three entries, one shortlisted and rated, one reported as a copy, and a finished poster contest
whose prizes were paid."""
from datetime import timedelta

from demo import pictures
from models.types import utcnow
from services import contest_reports, contests
from services.contests import ContestInput


def _entry(provider, contest, picture: tuple[str, str, int], note: str):
    title, line, seed = picture
    return contests.submit_entry(provider, contest.id, note, pictures.poster(title, line, seed, size=(1200, 800)),
                                 "entry.jpg")


def load(moshan, hanfeng, p) -> None:
    running = contests.publish(moshan, ContestInput(
        title="茶馆 Logo 比稿 Logo contest for our tea house", category="design", currency="CNY",
        brief="A round logo for 墨山茶舍 Moshan Tea: calm, green and gold, readable at 32 px.",
        deliverable_spec="Vector source (AI or SVG), PNG at 4000 px, the fonts used.", prizes=[300000, 100000],
        entry_deadline=utcnow() + timedelta(days=6), blind=True))
    entries = [_entry(p["meiyang"], running, ("墨山 Moshan", "logo · green / gold", 1), "A brush-stroke mountain."),
               _entry(p["guangying"], running, ("墨山茶馆", "logo · seal style", 4), "A red seal with the name."),
               _entry(p["kuaipai"], running, ("Moshan Tea", "logo · leaf", 5), "A single tea leaf in a circle.")]
    contests.rate(moshan, running.id, entries[0].id, 5, "Love the mountain; try a deeper green.")
    contests.rate(moshan, running.id, entries[1].id, 3, "")
    contests.shortlist(moshan, running.id, [entries[0].id])
    # the brand thinks the leaf was traced from the mountain: a copy report waiting in staff's queue
    contest_reports.report(moshan, running.id, entries[2].id, "The leaf's outline follows the mountain entry's "
                           "brush stroke exactly, turned on its side.", entries[0].id)

    finished = contests.publish(hanfeng, ContestInput(
        title="秋季大促海报 Autumn sale poster", category="design", currency="CNY",
        brief="A vertical poster for the autumn sale of our apparel flagship store.", prizes=[500000],
        entry_deadline=utcnow() + timedelta(days=2), blind=False))
    winner = _entry(p["meiyang"], finished, ("秋季大促", "autumn sale · 50 % off", 2), "Warm reds and falling leaves.")
    _entry(p["kuaipai"], finished, ("Autumn Sale", "poster · bold type", 3), "Bold type on a gradient.")
    # entries closed two days ago (as if time had passed); the brand picked its winner
    finished.entry_deadline = utcnow() - timedelta(days=2)
    finished.selection_deadline = finished.entry_deadline + timedelta(days=7)
    contests.award(hanfeng, finished.id, [winner.id])
