"""Accounts, task forces, org units, memberships: login, roster and switching."""
