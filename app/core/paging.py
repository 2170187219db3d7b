"""Page numbers from the query string, kept within the pages that exist.

A link may ask for any page: an old bookmark after rows were archived, a hand-typed
``page=99999999999999999999`` that no database integer holds. Every paged list answers
with the last page then, never with an empty page or an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypeVar

from flask import request

Row = TypeVar("Row")


def requested_page() -> int:
    """The ``page`` the query string asks for: 1 when it asks for none, nonsense or less."""
    return max(request.args.get("page", 1, type=int), 1)


def last_page(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


def within(page: int, total: int, per_page: int) -> tuple[int, int]:
    """``page`` moved into the pages that ``total`` rows fill, and the number of pages."""
    pages = last_page(total, per_page)
    return min(max(page, 1), pages), pages


def newer_older(
    fetch: Callable[[int, int], Sequence[Row]],
    count: Callable[[], int],
    page: int,
    per_page: int,
) -> tuple[list[Row], int, bool]:
    """One page of a newest-first list that links only to the newer and the older page.

    ``fetch(limit, offset)`` reads rows; ``count()`` counts them all, asked only for a page
    after the first (the first page costs one query, as before). Returns the rows, the
    page shown (the last one when ``page`` is past it) and whether an older page exists.
    """
    if page > 1:
        page = min(page, last_page(count(), per_page))
    rows = list(fetch(per_page + 1, (page - 1) * per_page))
    return rows[:per_page], page, len(rows) > per_page
