"""Children: who they are, their family adversities, and their timeline across every feature."""
