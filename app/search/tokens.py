"""Text as the full-text engines index it: Chinese as overlapping character bigrams (as
Lucene's CJK analyzer does: no dictionary, every two-character word is found), Latin
letters and digits as lower-cased runs.

"理财产品 R1 上线" → ``理财 财产 产品 品 r1 上线 线``. The last character of every Chinese
run is also kept alone, so that a one-character query finds every place the character
stands (as the first of a bigram, or last of its run) by prefix. The engines (SQLite FTS5
with ``unicode61``, PostgreSQL ``to_tsvector('simple', …)``) then only split on spaces.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_QUERY = 100  # characters of a query; the rest is dropped
MAX_TERMS = 12  # phrases of a query

# A Chinese run (CJK ideographs, with the extensions people meet) or a Latin/digit run.
_RUNS = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)|([0-9a-z]+)")


def _runs(text: str):
    folded = unicodedata.normalize("NFKC", text or "").lower()  # full-width Ｒ１ → r1
    for match in _RUNS.finditer(folded):
        yield match.group(1), match.group(2)


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def tokenize(text: str) -> str:
    """The space-separated tokens of ``text`` to index."""
    out: list[str] = []
    for chinese, latin in _runs(text):
        out.extend(_bigrams(chinese) if chinese else [latin])
    return " ".join(out)


@dataclass(frozen=True)
class Term:
    """One part of a query: tokens that must stand next to each other, or a prefix."""

    tokens: tuple[str, ...]
    prefix: bool = False  # a single Chinese character: any token starting with it


def parse_query(query: str) -> list[Term]:
    """The terms of a query, all of which must match (capped in length and number)."""
    terms: list[Term] = []
    for chinese, latin in _runs((query or "")[:MAX_QUERY]):
        if latin:
            terms.append(Term((latin,)))
        elif len(chinese) == 1:
            terms.append(Term((chinese,), prefix=True))
        else:
            terms.append(Term(tuple(chinese[i : i + 2] for i in range(len(chinese) - 1))))
    unique = list(dict.fromkeys(terms))
    return unique[:MAX_TERMS]


def needles(query: str) -> list[str]:
    """The strings to mark in a result's text: each Chinese run and Latin run as typed."""
    found = []
    for chinese, latin in _runs((query or "")[:MAX_QUERY]):
        found.append(chinese or latin)
    return sorted(set(found), key=len, reverse=True)
