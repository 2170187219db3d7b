"""Fixtures for the intake queue: the problem list's fixed day,
its people and logged-in clients."""

from tests.issues.conftest import (  # noqa: F401  (fixtures)
    TODAY,
    _on_a_fixed_day,
    days,
    person,
    scoped,
)
