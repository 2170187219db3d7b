"""A result's text around what matched, escaped first and then marked."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from app.search.tokens import needles

AROUND = 60  # characters shown before the first match


def _pattern(query: str) -> re.Pattern | None:
    found = needles(query)
    if not found:
        return None
    return re.compile("|".join(re.escape(n) for n in found), re.IGNORECASE)


def mark(text: str, query: str, length: int | None = None) -> Markup:
    """``text`` (cut to ``length`` around its first match) with each match in ``<mark>``.
    Every piece of the text is escaped; only the marks are markup."""
    text = text or ""
    pattern = _pattern(query)
    first = pattern.search(text) if pattern else None
    if length is not None and len(text) > length:
        start = max(0, first.start() - AROUND) if first else 0
        end = start + length
        text = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    if pattern is None:
        return Markup(escape(text))
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(Markup("<mark>%s</mark>") % match.group(0))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)
