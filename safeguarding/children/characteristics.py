"""A child's ethnicity in the children in need census's categories, and the answers for disability.

Ethnicity uses the Department for Education's main codes (the same list as the school and alternative provision
censuses: https://www.gov.uk/guidance/alternative-provision-ap-census/codes), so the partnership's figures can be set
beside the national ones. Each question has "not known" and "refused" answers of its own, and none is chosen for
the person recording: an unanswered question stays empty, which is different from "not known".
"""
from __future__ import annotations

#: (code, label, main category)
ETHNICITIES: list[tuple[str, str, str]] = [
    ("WBRI", "White - British", "white"),
    ("WIRI", "White - Irish", "white"),
    ("WIRT", "Traveller of Irish heritage", "white"),
    ("WOTH", "Any other White background", "white"),
    ("WROM", "Gypsy/Roma", "white"),
    ("MWBC", "White and Black Caribbean", "mixed"),
    ("MWBA", "White and Black African", "mixed"),
    ("MWAS", "White and Asian", "mixed"),
    ("MOTH", "Any other mixed background", "mixed"),
    ("AIND", "Indian", "asian"),
    ("APKN", "Pakistani", "asian"),
    ("ABAN", "Bangladeshi", "asian"),
    ("AOTH", "Any other Asian background", "asian"),
    ("BCRB", "Black Caribbean", "black"),
    ("BAFR", "Black African", "black"),
    ("BOTH", "Any other Black background", "black"),
    ("CHNE", "Chinese", "chinese"),
    ("OOTH", "Any other ethnic group", "other"),
    ("REFU", "Refused (the child or family would not say)", "refused"),
    ("NOBT", "Not known (information not yet obtained)", "not_known"),
]
ETHNICITY_CHOICES = [(code, label) for code, label, _ in ETHNICITIES]
ETHNICITY_LABELS = dict(ETHNICITY_CHOICES)
#: the main categories the figures are shown by (small groups would otherwise be withheld one by one)
ETHNIC_GROUPS = [("white", "White"), ("mixed", "Mixed"), ("asian", "Asian or Asian British"),
                 ("black", "Black or Black British"), ("chinese", "Chinese"), ("other", "Any other ethnic group"),
                 ("refused", "Refused"), ("not_known", "Not known"), ("not_recorded", "Not recorded")]
ETHNIC_GROUP_OF = {code: group for code, _, group in ETHNICITIES}

DISABILITY = [("yes", "Yes: the child has a disability"), ("no", "No"),
              ("not_known", "Not known"), ("refused", "Refused (the child or family would not say)")]
DISABILITY_LABELS = dict(DISABILITY)
DISABILITY_GROUPS = [("yes", "Disabled"), ("no", "Not disabled"), ("not_known", "Not known"),
                     ("refused", "Refused"), ("not_recorded", "Not recorded")]
