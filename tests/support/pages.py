"""Reading pages: the HTML of a page in English, and whether its labels point at its inputs."""
from collections import Counter
from html.parser import HTMLParser

ENGLISH = {"Accept-Language": "en"}


class Elements(HTMLParser):
    """Every element's id, and every <label for=…>, of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.ids: list[str] = []
        self.label_for: list[str] = []
        self.tags: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.append(attrs["id"])
            self.tags[attrs["id"]] = tag
        if tag == "label" and attrs.get("for"):
            self.label_for.append(attrs["for"])


def assert_labels_point_at_inputs(html: str) -> Elements:
    page = Elements(html)
    missing = [target for target in page.label_for if target not in page.ids]
    assert not missing, f"labels point at no element: {missing}"
    # Every form carries a hidden csrf_token input; apart from those, an id names one element.
    twice = {i: n for i, n in Counter(page.ids).items() if n > 1 and i != "csrf_token"}
    assert not twice, f"ids used more than once: {twice}"
    return page


def get_html(client, path: str, **headers) -> str:
    """The page at `path` in English (200 expected), as text."""
    response = client.get(path, headers={**ENGLISH, **headers})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)
