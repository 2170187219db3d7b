"""Meetings: cadences, agendas built from the data, minutes, action items, calendar."""
