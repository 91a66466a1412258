"""Administration: users and agencies. Administrators see no case data."""
