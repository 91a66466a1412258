"""Strategy discussions: convening, attendance, information shared, threshold decisions, agreed actions, minutes."""
