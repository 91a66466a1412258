"""The practice-learning figures against the demo's last full quarter, counted by hand from its five stories
(safeguarding/discussions/demo.py): Poppy (section 47, conference booked 2 working days early), Leo (joint section
47, ABE interview planned as joint, conference 3 working days late), Oliver (section 17, police apologies), Freya (no
further action, police sent the incident log), Evie (early help). Each was convened and held the same day and its
minutes circulated at 09:00 the next working day; no child was recorded as seen."""
from __future__ import annotations

from safeguarding import clock
from safeguarding.demo import seed
from safeguarding.periods import last_full_quarter
from safeguarding.reports import learning
from safeguarding.reports.learning_rules import Figure


def test_the_demo_quarter_counted_by_hand(app):
    seed("harbour-quartz-thistle")
    today = clock.london_today()
    report = learning.compute(*last_full_quarter(today), now=clock.now(), today=today)
    figures = {a.question.key: a.figure for a in report.answers}
    assert figures["police-attended"] == Figure(3, 5)        # not Oliver's (apologies), not Freya's (log sent)
    assert figures["police-convictions"] == Figure(0, 5)     # the demo records no police information
    assert figures["held-in-time"] == Figure(5, 5)
    assert figures["minutes-in-time"] == Figure(5, 5)
    assert figures["icpc-in-time"] == Figure(1, 2)           # Poppy's on time, Leo's late
    assert figures["assessment-in-time"] == Figure(0, 3)     # Poppy, Leo, Oliver: none recorded as completed
    assert figures["abe-joint"] == Figure(1, 1)              # Leo's
    assert figures["child-seen"] == Figure(0, 5)
    assert figures["repeat-discussions"] == Figure(0, 5)     # five different children, each discussed once
    last_quarter = report.answers[0].trend[-1]
    assert last_quarter[1] == Figure(3, 5)                   # the period is the trend's last quarter
    found = {b.key: dict(b.children) for b in report.breakdowns}
    # ages on the quarter's last day: Poppy 2, Oliver 7, Evie 8, Leo 12, Freya 15
    assert (found["age"]["1 to 4"], found["age"]["5 to 9"], found["age"]["10 to 15"]) == (1, 2, 2)
    assert (found["sex"]["Female"], found["sex"]["Male"]) == (3, 2)
    assert found["ethnicity"]["Not recorded"] == 5 and found["disability"]["Not recorded"] == 5
