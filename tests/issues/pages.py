"""Reading the problem list's pages in tests: the rows and totals a person sees."""

from __future__ import annotations

import re
from html import unescape

_CODE_CELL = re.compile(r'<td class="font-monospace small text-nowrap">([^<]+)</td>')
_TOTAL = re.compile(r'data-testid="issue-total">\D*(\d+)')


def section(html: str, testid: str, end: str = "</table>") -> str:
    """The part of a page from the element marked ``data-testid=testid`` to ``end``."""
    start = html.index(f'data-testid="{testid}"')
    return html[start : html.index(end, start)]


def list_codes(html: str) -> list[str]:
    """The item codes of the list page's table, in the order shown."""
    return [unescape(code) for code in _CODE_CELL.findall(section(html, "issue-table"))]


def list_total(html: str) -> int:
    """The "N items" figure above the list."""
    match = _TOTAL.search(html)
    assert match, "the list page shows no total"
    return int(match.group(1))
