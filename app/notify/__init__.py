"""Reminders and notifications: rules that write the outbox, and delivery over channels."""
