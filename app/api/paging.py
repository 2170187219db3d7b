"""Pages of a list: ``page`` and ``per_page`` (at most 100) in, the rows and their links
out, as ``links`` in the body and as an RFC 8288 ``Link`` header."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from sqlalchemy import Select, func, select

from app.core.paging import last_page, within
from app.extensions import db

MAX_PER_PAGE = 100


@dataclass
class Paging:
    page: int
    per_page: int

    @classmethod
    def of(cls, args: dict) -> Paging:
        per_page = args.get("per_page") or current_app.config["API_PAGE_SIZE"]
        return cls(max(int(args.get("page") or 1), 1), min(max(int(per_page), 1), MAX_PER_PAGE))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def _url(page: int, per_page: int) -> str:
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    args["per_page"] = [str(per_page)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def paged(stmt: Select, paging: Paging) -> tuple[list, int, int]:
    """The rows of ``stmt`` (ordered) on the page asked for, the total and the page
    shown: a page past the last reads as the last."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page, _pages = within(paging.page, total, paging.per_page)
    rows = list(
        db.session.scalars(stmt.limit(paging.per_page).offset((page - 1) * paging.per_page))
    )
    return rows, total, page


def envelope(rows: list, total: int, page: int, per: int) -> tuple[dict, dict]:
    """The body of a page and its headers."""
    pages = last_page(total, per)
    links = {
        "self": _url(page, per),
        "first": _url(1, per),
        "last": _url(pages, per),
        "prev": _url(page - 1, per) if page > 1 else None,
        "next": _url(page + 1, per) if page < pages else None,
    }
    header = ", ".join(
        f'<{url}>; rel="{rel}"' for rel, url in links.items() if url and rel != "self"
    )
    body = {
        "items": rows,
        "page": page,
        "per_page": per,
        "total": total,
        "pages": pages,
        "links": links,
    }
    return body, {"Link": header, "X-Total-Count": str(total)}
