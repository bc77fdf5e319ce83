"""Proposals are Markdown, rendered without raw HTML and then sanitised (two locks, not one).

The sanitiser is nh3 (the Rust `ammonia` library; bleach is deprecated since 2023): only the tags,
attributes and URL schemes below survive, and every link gets `rel="nofollow noopener noreferrer"`.
Markdown-it's linkify is off, so only explicit Markdown links become anchors."""
import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "h1", "h2", "h3", "h4",
        "table", "thead", "tbody", "tr", "th", "td", "a", "hr"}
ATTRIBUTES = {"a": {"href", "title"}}
PROTOCOLS = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener noreferrer"


def render(text: str) -> Markup:
    html = _md.render(text or "")
    clean = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=PROTOCOLS, link_rel=LINK_REL,
                      strip_comments=True)
    return Markup(clean)  # noqa: S704 (sanitised by nh3 just above)
