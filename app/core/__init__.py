"""The shared ground floor: clock, permissions, scoping, audit, outbox, i18n, caching."""
