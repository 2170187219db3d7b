"""Markdown for long texts (descriptions, solutions, minutes), sanitised with nh3.

markdown-it-py renders CommonMark with raw HTML switched off; nh3 then keeps only a
short list of tags and attributes, so neither a <script> nor a javascript: link gets
through whatever a user types.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


# Texts rendered before are taken as rendered (the same text, the same markup): an item's
# page draws its notes again at every change to the item. Long texts (minutes) are not kept.
_KEPT_TEXTS = 512
_KEPT_LENGTH = 4000


def render(text: str | None) -> Markup:
    if not text:
        return Markup("")
    if len(text) <= _KEPT_LENGTH:
        return _kept(text)
    return _render(text)


@lru_cache(maxsize=_KEPT_TEXTS)
def _kept(text: str) -> Markup:
    return _render(text)


def _render(text: str) -> Markup:
    html = _md.render(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)
