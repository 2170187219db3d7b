"""Fixtures of the people tests: a real OpenLDAP directory (``directory``, session-wide)
and the app signing in with it for one test (``ldap``)."""

from tests.people.ldap_server import directory, ldap  # noqa: F401
