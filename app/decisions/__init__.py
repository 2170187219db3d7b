"""Escalations and the decision register, supervision and nudges, scorecards and incentives."""
