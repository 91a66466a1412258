"""Resolving professional differences: staged, time-limited escalation between agencies."""
