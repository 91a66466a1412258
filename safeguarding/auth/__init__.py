"""People, agencies, sign-in and the access rules (access.py)."""
