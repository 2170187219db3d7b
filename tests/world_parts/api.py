"""The REST API's part of the world: its URLs name the world's item, and a token id
(the matrix walks the token pages with no token made: revoking one answers 404)."""

from __future__ import annotations

URL_VALUES = {
    "item_id": lambda w: w.issue_id,
    "token_id": lambda w: 1,
}


def build(world) -> None:
    """Nothing to add: each API test makes the tokens it calls with."""
