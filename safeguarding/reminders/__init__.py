"""Reminders: due deadlines become outbox rows (the sweep), outbox rows become emails (delivery), and one
scheduler process runs both. Nothing here is imported by the features whose deadlines it chases."""
