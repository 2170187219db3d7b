"""Fixtures for escalations, supervision and scorecards: the problem list's fixed day,
its people and logged-in clients; the browser's, for paging in a real browser."""

from tests.browser.conftest import browser, live_server, new_page  # noqa: F401  (fixtures)
from tests.issues.conftest import (  # noqa: F401  (fixtures)
    TODAY,
    _on_a_fixed_day,
    days,
    login,
    person,
    scoped,
)
