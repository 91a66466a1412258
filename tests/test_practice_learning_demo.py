"""The practice-learning figures against the demo's last full quarter, counted by hand from its five stories
(safeguarding/discussions/demo.py): Poppy (section 47, conference booked 2 working days early), Leo (joint section
47, ABE interview planned as joint, conference 3 working days late), Oliver (section 17, police apologies), Freya (no
further action, police sent the incident log), Evie (early help). Each was convened and held the same day and its
minutes circulated at 09:00 the next working day; no child was recorded as seen. Their census answers (ethnicity,
disability) are in each story's "census".

The missing-children and professional-differences figures against the demo's missing and differences stories
(safeguarding/missing/demo.py, safeguarding/differences/demo.py), which are dated back from the moment the demo is
loaded. Both tests pin the clock at one moment for the whole test (demo loaded, summaries worked out, figures
read), so their counts do not depend on the day they run."""
from __future__ import annotations

from datetime import date, timedelta

from safeguarding import clock
from safeguarding.demo import seed
from safeguarding.periods import last_full_quarter
from safeguarding.charts import table_rows
from safeguarding.reports import learning, summaries
from safeguarding.reports.learning_charts import breakdown_chart
from safeguarding.reports.learning_rules import Figure


# Wednesday 20 May 2026, 12:00 in London (11:00 UTC): no bank holiday within a week either side (4 and 25 May are
# the nearest), and every missing and differences record falls in the 16 weeks up to it, across two quarters.
LOADED = clock.london_datetime(date(2026, 5, 20), 12)
LOADED_DAY = date(2026, 5, 20)
SIXTEEN_WEEKS = (LOADED_DAY - timedelta(weeks=16), LOADED_DAY)  # 28 January to 20 May 2026


def test_the_demo_quarter_counted_by_hand(app):
    # loaded mid-quarter: in a quarter's first working days the demo's recent discussions (held yesterday, two and
    # five working days ago) would fall in the last full quarter as well
    with clock.frozen_at(LOADED):
        seed("harbour-quartz-thistle")
    report = learning.compute(*last_full_quarter(LOADED_DAY), now=LOADED, today=LOADED_DAY)
    assert report == learning.compute_live(*last_full_quarter(LOADED_DAY), now=LOADED, today=LOADED_DAY)
    assert (report.start, report.end) == (date(2026, 1, 1), date(2026, 3, 31))
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



def _figures(report: learning.Report) -> dict[str, tuple[Figure, Figure, Figure]]:
    """Each figure for the period with its trend's last two quarters (Jan to Mar, Apr to Jun 2026)."""
    return {a.question.key: (a.figure, a.trend[-2][1], a.trend[-1][1]) for a in report.answers}


def test_the_demo_missing_children_and_differences_counted_by_hand(app):
    with clock.frozen_at(LOADED):
        seed("harbour-quartz-thistle")  # its last step works the summaries out as at LOADED
    report = learning.compute(*SIXTEEN_WEEKS, now=LOADED, today=LOADED_DAY)
    assert report == learning.compute_live(*SIXTEEN_WEEKS, now=LOADED, today=LOADED_DAY)
    assert [q.label for q in report.quarters[-2:]] == ["Jan to Mar 2026", "Apr to Jun 2026"]
    figures = _figures(report)

    # Return home interviews (counted by the return; counted once completed, closed or past the 72 hours):
    # - Mia Roberts came back on 4 Feb (interviewed 40 hours later: in time), 4 Mar (90 hours later: late), 25 Mar
    #   (40 hours: in time) and 8 Apr (declined the offer; still open, past its 72 hours: counted, not met);
    # - Jordan came back on 26 Apr and 9 May at 11:00 (no interview recorded, past the 72 hours: counted, not met)
    #   and on 19 May at 22:00 (he declined an offer this morning; due 22 May: not yet counted).
    # Jan to Mar: Mia's first three, 2 of 3; Apr to Jun: Mia's 8 Apr and Jordan's two, 0 of 3.
    assert figures["rhi-in-time"] == (Figure(2, 6), Figure(2, 3), Figure(0, 3))
    # Police protection: Ellie's began yesterday at 06:00 and has not ended; its 72 hours run to 22 May: not counted.
    assert figures["protection-in-time"] == (Figure(0, 0), Figure(0, 0), Figure(0, 0))
    # Professional differences, all raised Apr to Jun: the health visitor's about police attendance (11 Apr, resolved
    # at stage 1 two days later), DC Evans's about Mia Collins (11 May, escalated to stage 2 on 17 May, open) and
    # police's about Ella Hughes's section 17 decision (19 May, the day after her discussion, open at stage 1).
    assert figures["differences-escalated"] == (Figure(1, 3), Figure(0, 0), Figure(1, 3))  # Mia Collins's
    # Only the health visitor's is resolved; its stage 1 closed on 13 Apr, before it was due (5 working days).
    assert figures["differences-in-time"] == (Figure(1, 1), Figure(0, 0), Figure(1, 1))
    # Each stage closed in the period: both stage 1s, the resolved one and Mia Collins's (escalated on Sunday 17 May,
    # due at 17:00 on Monday 18 May, 5 working days after 11 May)
    assert report.stages == [(1, Figure(2, 2))]
    # Missing episodes (by when reported), "missing before" if the child had an earlier episode: Mia Roberts on
    # 3 Feb (her first), 3 Mar, 24 Mar and 7 Apr; Jordan on 26 Apr (his first), 9 May and 19 May.
    # Jan to Mar: Mia's three, 2 of 3; Apr to Jun: Mia's 7 Apr and Jordan's three, 3 of 4.
    assert figures["repeat-missing"] == (Figure(5, 7), Figure(2, 3), Figure(3, 4))

    # Three days later (Saturday 23 May, 12:00), with the summaries worked out again: Jordan's latest interview is
    # past its 72 hours (22 May, 22:00) and Ellie's police protection past its end (22 May, 06:00) with no end
    # recorded, so both now count, as not met. The rest is as it was.
    later = LOADED + timedelta(days=3)
    with clock.frozen_at(later):
        summaries.refresh_all(later)
    report = learning.compute(*SIXTEEN_WEEKS, now=later, today=clock.to_london(later).date())
    assert report == learning.compute_live(*SIXTEEN_WEEKS, now=later, today=clock.to_london(later).date())
    figures = _figures(report)
    assert figures["rhi-in-time"] == (Figure(2, 7), Figure(2, 3), Figure(0, 4))
    assert figures["protection-in-time"] == (Figure(0, 1), Figure(0, 0), Figure(0, 1))
    assert figures["differences-escalated"] == (Figure(1, 3), Figure(0, 0), Figure(1, 3))
    assert figures["repeat-missing"] == (Figure(5, 7), Figure(2, 3), Figure(3, 4))
