"""My work: the signed-in person's deadlines (and their team's, and the partnership's for MASH staff)."""
