"""Missing children, return home interviews, police protection and emergency protection orders."""
