"""The practice-learning figures against the demo's last full quarter, counted by hand from its five stories
(safeguarding/discussions/demo.py): Poppy (section 47, conference booked 2 working days early), Leo (joint section
47, ABE interview planned as joint, conference 3 working days late), Oliver (section 17, police apologies), Freya (no
further action, police sent the incident log), Evie (early help). Each was convened and held the same day and its
minutes circulated at 09:00 the next working day; no child was recorded as seen. Their census answers (ethnicity,
disability) are in each story's "census"."""
from __future__ import annotations

from safeguarding import clock
from safeguarding.demo import seed
from safeguarding.periods import last_full_quarter
from safeguarding.charts import table_rows
from safeguarding.reports import learning
from safeguarding.reports.learning_charts import breakdown_chart
from safeguarding.reports.learning_rules import Figure


def test_the_demo_quarter_counted_by_hand(app):
    seed("harbour-quartz-thistle")
    today = clock.london_today()
    report = learning.compute(*last_full_quarter(today), now=clock.now(), today=today)
    figures = {a.question.key: a.figure for a in report.answers}
    assert figures["police-attended"] == Figure(3, 5)        # not Oliver's (apologies), not Freya's (log sent)
    for topic in ("police-convictions", "police-intelligence", "police-other-forces"):
        assert figures[topic] == Figure(0, 5)                 # the demo records no police information
    assert figures["held-in-time"] == Figure(5, 5)
    assert figures["minutes-in-time"] == Figure(5, 5)
    assert figures["icpc-in-time"] == Figure(1, 2)           # Poppy's on time, Leo's late
    assert figures["assessment-in-time"] == Figure(0, 3)     # Poppy, Leo, Oliver: none recorded as completed
    assert figures["abe-joint"] == Figure(1, 1)              # Leo's
    for seen in ("child-seen", "child-seen-alone", "child-voice"):
        assert figures[seen] == Figure(0, 5)                  # nobody recorded seeing or hearing the child
    assert figures["abe-intermediary"] == Figure(0, 1)       # Leo's interview: no intermediary considered
    assert figures["repeat-discussions"] == Figure(0, 5)     # five different children, each discussed once
    last_quarter = report.answers[0].trend[-1]
    assert last_quarter[1] == Figure(3, 5)                   # the period is the trend's last quarter
    found = {b.key: dict(b.children) for b in report.breakdowns}
    # ages on the quarter's last day: Poppy 2, Oliver 7, Evie 8, Leo 12, Freya 15
    assert (found["age"]["1 to 4"], found["age"]["5 to 9"], found["age"]["10 to 15"]) == (1, 2, 2)
    assert (found["sex"]["Female"], found["sex"]["Male"]) == (3, 2)
    # the demo records each child's census answers: Poppy White British, Leo White and Black Caribbean, Oliver Black
    # African, Freya's family would not say, Evie's not yet known; Oliver is disabled, Poppy is not, Evie's family
    # would not say, Leo's and Freya's are not known
    assert found["ethnicity"] == {"White": 1, "Mixed": 1, "Asian or Asian British": 0, "Black or Black British": 1,
                                  "Chinese": 0, "Any other ethnic group": 0, "Refused": 1, "Not known": 1,
                                  "Not recorded": 0}
    assert found["disability"] == {"Disabled": 1, "Not disabled": 1, "Not known": 2, "Refused": 1, "Not recorded": 0}
    # five children: every group of 1 or 2 is withheld on the page and in the CSV, and the zeros are shown
    by_key = {b.key: b for b in report.breakdowns}
    _, rows = table_rows(breakdown_chart(by_key["ethnicity"]))
    assert {row[0]: row[1] for row in rows} == {
        "White": "[c]", "Mixed": "[c]", "Asian or Asian British": "0", "Black or Black British": "[c]", "Chinese": "0",
        "Any other ethnic group": "0", "Refused": "[c]", "Not known": "[c]", "Not recorded": "0"}
