"""Proposals are Markdown, rendered without raw HTML and then sanitised (two locks, not one)."""
import bleach
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
TAGS = ["p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "h1", "h2", "h3", "h4",
        "table", "thead", "tbody", "tr", "th", "td", "a", "hr"]
ATTRIBUTES = {"a": ["href", "title"]}
PROTOCOLS = ["http", "https", "mailto"]


def _nofollow(attrs, new=False):
    attrs[(None, "rel")] = "nofollow noopener noreferrer"
    return attrs


def render(text: str) -> Markup:
    html = _md.render(text or "")
    clean = bleach.clean(html, tags=TAGS, attributes=ATTRIBUTES, protocols=PROTOCOLS, strip=True)
    linked = bleach.linkify(clean, callbacks=[_nofollow], skip_tags=["pre", "code"], parse_email=False)
    return Markup(linked)  # noqa: S704 (sanitised by bleach just above)
