"""Partnership figures: how strategy discussions are working across agencies, counts only."""
