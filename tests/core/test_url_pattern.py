"""A page's many links built from one address each (core.web.UrlPattern): the same
addresses as ``url_for``."""

from __future__ import annotations

import pytest
from flask import url_for

from app.core.web import UrlPattern


@pytest.mark.parametrize(
    ("endpoint", "slot", "values"),
    [
        ("issues.issue_detail", "issue_id", {}),
        ("issues.issue_list", "category", {}),
        ("issues.issue_list", "category", {"status": ["new", "closed"]}),
        ("issues.issue_list", "owner", {"open": "y", "deadline_to": "2026-12-05"}),
    ],
)
def test_a_pattern_builds_what_url_for_builds(app, endpoint, slot, values):
    with app.test_request_context():
        pattern = UrlPattern(endpoint, slot, **values)
        for value in (1, 42, 1234567):
            assert pattern(value) == url_for(endpoint, **{slot: value}, **values)


def test_a_slot_not_in_the_address_once_is_refused(app):
    with app.test_request_context(), pytest.raises(ValueError):
        UrlPattern("issues.issue_list", "open", page=UrlPattern._MARKER, _anchor="x")
