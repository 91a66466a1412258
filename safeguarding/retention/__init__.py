"""The partnership's retention schedule: dry-run report, anonymisation, legal holds."""
