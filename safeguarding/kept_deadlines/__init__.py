"""Open deadlines kept as rows from the features' records, for My work to count and page (`rows.py`)."""
