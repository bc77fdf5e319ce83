"""An interface people like to use (issue 17 item 4): deadlines as relative times with the absolute date on
hover, and a favicon."""
import re

from tests.support.factories import in_days

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def test_a_deadline_reads_as_time_left_with_the_date_on_hover(market, client):
    m = market(1, bid_deadline=in_days(3))
    for headers, words in ((EN, "in 3 days"), (ZH, "3天后")):
        listing = client.get("/tenders", headers=headers).get_data(as_text=True)
        when = re.search(r'<time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>', listing)
        assert when and when.group(3) == words, listing[:2000]
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d\+00:00$", when.group(1))  # exact, machine-readable
        assert re.search(r"\d", when.group(2))  # the absolute date and time, in the reader's words
        detail = client.get(f"/tenders/{m.tender_id}", headers=headers).get_data(as_text=True)
        assert f">{words}</time>" in detail


def test_every_page_names_a_favicon_that_is_served(client):
    html = client.get("/", headers=EN).get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html).group(1)
    icon = client.get(href)
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
