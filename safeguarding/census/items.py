"""The children in need census's section 47 items and the validation rules about them: pure, no Flask, no database.

Item names and codes follow the DfE "Children in need census 2025 to 2026: business and technical specification"
and its validation rules, as implemented by Data to Insight's open-source CIN validator (csc-validator-be-cin);
README "Children in need census items" says which items and rules, and what this tool leaves to the council's
own system. A collection year runs from 1 April to 31 March; its ReferenceDate is the 31 March.

Facts are taken as they stood at the ReferenceDate: a conference held after 31 March is not yet in that year's
return, just as it would not have been in the council's system on the day.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Iterable, Sequence
# Builds the census fragment; never parses anyone's XML (bandit B405)
from xml.etree import ElementTree as ET  # nosec B405

from ..workdays import add_working_days, working_days_between

#: the ICPC is due 15 working days after the section 47 enquiry started (Working Together; the census's
#: InitialCPCtarget, N00109)
ICPC_TARGET_WORKING_DAYS = 15
#: the children in need census's code for sex (N00783): this tool's genders -> F, M, U
SEX_CODES = {"female": "F", "male": "M"}

#: (item, CBDS number, what it holds, the Standard Safeguarding Dataset's field for it), in the order the census's
#: XML puts them. The SSD names are Data to Insight's (ssd-data-model and its CIN census extract), for anyone
#: mapping this tool's items to a council's SSD tables; ICPCnotRequired is the SSD's outcome flag turned round.
ITEMS: tuple[tuple[str, str, str, str], ...] = (
    ("LAchildID", "N00097", "The council's own reference for the child", "ssd_person.pers_legacy_id"),
    ("PersonBirthDate", "N00066", "Date of birth", "ssd_person.pers_dob"),
    ("ExpectedPersonBirthDate", "N00098", "Expected date of birth of an unborn child", "ssd_person.pers_expected_dob"),
    ("Sex", "N00783", "F, M or U (not known)", "ssd_person.pers_sex"),
    ("CINreferralDate", "N00100", "Date the referral was received", "ssd_cin_episodes.cine_referral_date"),
    ("S47ActualStartDate", "N00148", "Date the section 47 enquiry started (the strategy discussion's date)",
     "ssd_s47_enquiry.s47e_s47_start_date"),
    ("InitialCPCtarget", "N00109", "Target date for the initial child protection conference",
     "ssd_initial_cp_conference.icpc_icpc_target_date"),
    ("DateOfInitialCPC", "N00110", "Date the initial child protection conference was held",
     "ssd_initial_cp_conference.icpc_icpc_date"),
    ("ICPCnotRequired", "N00111", "True when the enquiry ended without the need for a conference",
     "ssd_s47_enquiry.s47e_s47_outcome_json CP_CONFERENCE_FLAG (false)"),
)


@dataclass(frozen=True)
class CollectionYear:
    """A census collection year, named by the year it starts in: 2025 is 1 April 2025 to 31 March 2026."""

    start_year: int

    @property
    def start(self) -> date:
        return date(self.start_year, 4, 1)

    @property
    def reference_date(self) -> date:
        return date(self.start_year + 1, 3, 31)

    @property
    def census_year(self) -> int:
        """The census's <Year> (N00602): the year its ReferenceDate falls in."""
        return self.start_year + 1

    @property
    def label(self) -> str:
        return f"{self.start_year} to {self.start_year + 1}"

    def holds(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.reference_date

    @classmethod
    def containing(cls, day: date) -> "CollectionYear":
        return cls(day.year if day.month >= 4 else day.year - 1)


@dataclass(frozen=True)
class Section47Row:
    """One <Section47> group and the identifiers of its child, as the census names them. `child_id` and
    `discussion_id` are this tool's references, so the performance team can find the record to correct."""

    child_id: int
    discussion_id: int
    la_child_id: str | None
    person_birth_date: date | None
    expected_birth_date: date | None
    sex: str
    referral_date: date | None
    s47_start: date | None
    icpc_target: date | None
    icpc_date: date | None
    icpc_not_required: bool


def sex_code(gender: str | None) -> str:
    return SEX_CODES.get(gender or "", "U")


def as_at_reference_date(year: CollectionYear, *, held_on: date | None, ended_without_conference_on: date | None
                         ) -> tuple[date | None, bool]:
    """(DateOfInitialCPC, ICPCnotRequired) as they stood on the year's ReferenceDate."""
    icpc_date = held_on if held_on is not None and held_on <= year.reference_date else None
    not_required = ended_without_conference_on is not None and ended_without_conference_on <= year.reference_date
    return icpc_date, not_required and icpc_date is None


def open_during(year: CollectionYear, started_on: date | None, closed_on: date | None) -> bool:
    """An enquiry belongs in a year's return when it started by the ReferenceDate and was not closed (by a
    conference, or by ending without one) before the year began."""
    if started_on is None or started_on > year.reference_date:
        return False
    return closed_on is None or closed_on >= year.start


# --- Validation rules ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    code: str
    message: str
    items: tuple[str, ...]
    #: whether one row breaks the rule; or None for a rule about rows together (`across`)
    fails: Callable[[Section47Row, CollectionYear], bool] | None
    #: a DfE "query" (code ending Q): to check and either amend or explain, not an error that stops a return
    query: bool = False
    #: False for this tool's own checks, which the DfE specification does not number
    dfe: bool = True
    #: for a rule about a child's enquiries together: the positions of the rows that break it
    across: Callable[[Sequence[Section47Row], CollectionYear], set[int]] | None = None


@dataclass(frozen=True)
class Failure:
    rule: Rule
    row: Section47Row

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def message(self) -> str:
        return self.rule.message


def _is_weekend(day: date | None) -> bool:
    return day is not None and day.weekday() >= 5


def _open_without_conference(row: Section47Row) -> bool:
    return row.icpc_date is None and not row.icpc_not_required


def _started_during_another(rows: Sequence[Section47Row], year: CollectionYear) -> set[int]:
    """Rule 8890, over each child's enquiries (the census asks it within one CINdetails group; this tool's files
    give each enquiry its own group, and the council's return would hold a child's enquiries in one episode): an
    enquiry may not start on or between another's start and its conference, or, with no conference and a
    conference still needed, the ReferenceDate. An enquiry that ended without one has no end date in the census."""
    by_child: dict[int, list[int]] = {}
    for position, row in enumerate(rows):
        if row.s47_start is not None:
            by_child.setdefault(row.child_id, []).append(position)
    failing = set()
    for positions in by_child.values():
        for mine in positions:
            start = rows[mine].s47_start
            for other in positions:
                them = rows[other]
                if other == mine or them.icpc_not_required and them.icpc_date is None:
                    continue
                until = them.icpc_date if them.icpc_date is not None else year.reference_date
                if them.s47_start <= start <= until:
                    failing.add(mine)
    return failing


RULES: tuple[Rule, ...] = (
    Rule("8500", "LA Child ID missing", ("LAchildID",),
         lambda r, y: not (r.la_child_id or "").strip()),
    Rule("8615", "Section 47 Enquiry Start Date must be present and cannot be later than the date of the initial "
                 "Child Protection Conference", ("S47ActualStartDate", "DateOfInitialCPC"),
         lambda r, y: r.icpc_date is not None and (r.s47_start is None or r.s47_start > r.icpc_date)),
    Rule("8715", "Date of Initial Child Protection Conference must fall within the census year",
         ("DateOfInitialCPC",),
         lambda r, y: r.icpc_date is not None and not y.holds(r.icpc_date)),
    Rule("8740", "For a Section 47 Enquiry that has not held the Initial Child Protection Conference by the end of "
                 "the census year, the start date must fall within the census year",
         ("S47ActualStartDate", "DateOfInitialCPC", "ICPCnotRequired"),
         lambda r, y: _open_without_conference(r) and not y.holds(r.s47_start)),
    Rule("2889", "The S47 start date cannot be before the referral date.", ("S47ActualStartDate", "CINreferralDate"),
         lambda r, y: None not in (r.s47_start, r.referral_date) and r.s47_start < r.referral_date),
    Rule("1104", "The date of the initial child protection conference cannot be before the referral date",
         ("CINreferralDate", "DateOfInitialCPC"),
         lambda r, y: None not in (r.icpc_date, r.referral_date) and r.icpc_date < r.referral_date),
    Rule("8675Q", "Please check and either amend data or provide a reason: S47 Enquiry started more than 15 working "
                  "days before the end of the census year. However, there is no date of Initial Child Protection "
                  "Conference.", ("DateOfInitialCPC", "S47ActualStartDate", "ICPCnotRequired"),
         lambda r, y: (_open_without_conference(r) and r.s47_start is not None
                       and working_days_between(r.s47_start, y.reference_date) > ICPC_TARGET_WORKING_DAYS),
         query=True),
    Rule("8870Q", "Please check and either amend or provide a reason: The Target Date for Initial Child Protection "
                  "Conference should not be a weekend", ("InitialCPCtarget",),
         lambda r, y: _is_weekend(r.icpc_target), query=True),
    Rule("8890", "A Section 47 enquiry is shown as starting when there is another Section 47 Enquiry ongoing",
         ("S47ActualStartDate",), None, across=lambda rows, y: _started_during_another(rows, y)),
    # Two consistencies the census's definitions imply and no numbered rule states on its own.
    Rule("SDC1", "The Target Date for the Initial Child Protection Conference must be 15 working days after the "
                 "Section 47 Enquiry Start Date", ("S47ActualStartDate", "InitialCPCtarget"),
         lambda r, y: (r.s47_start is not None
                       and r.icpc_target != add_working_days(r.s47_start, ICPC_TARGET_WORKING_DAYS)),
         dfe=False),
    Rule("SDC2", "ICPCnotRequired is true but a Date of Initial Child Protection Conference is recorded: only one "
                 "can be right", ("DateOfInitialCPC", "ICPCnotRequired"),
         lambda r, y: r.icpc_not_required and r.icpc_date is not None, dfe=False),
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}


def validate(rows: Iterable[Section47Row], year: CollectionYear, rules: Iterable[Rule] = RULES) -> list[Failure]:
    """Every (rule, row) that fails, rows in their order and rules in the order above."""
    rows, chosen = list(rows), tuple(rules)
    together = {rule.code: rule.across(rows, year) for rule in chosen if rule.across is not None}
    return [Failure(rule, row) for position, row in enumerate(rows) for rule in chosen
            if (position in together[rule.code] if rule.across is not None else rule.fails(row, year))]


# --- Output -------------------------------------------------------------------------------------------------


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _child_element(row: Section47Row) -> ET.Element:
    child = ET.Element("Child")
    ids = ET.SubElement(child, "ChildIdentifiers")
    if (row.la_child_id or "").strip():
        ET.SubElement(ids, "LAchildID").text = row.la_child_id.strip()
    if row.person_birth_date:
        ET.SubElement(ids, "PersonBirthDate").text = _iso(row.person_birth_date)
    elif row.expected_birth_date:
        ET.SubElement(ids, "ExpectedPersonBirthDate").text = _iso(row.expected_birth_date)
    ET.SubElement(ids, "Sex").text = row.sex
    details = ET.SubElement(child, "CINdetails")
    if row.referral_date:
        ET.SubElement(details, "CINreferralDate").text = _iso(row.referral_date)
    s47 = ET.SubElement(details, "Section47")
    if row.s47_start:
        ET.SubElement(s47, "S47ActualStartDate").text = _iso(row.s47_start)
    if row.icpc_target:
        ET.SubElement(s47, "InitialCPCtarget").text = _iso(row.icpc_target)
    if row.icpc_date:
        ET.SubElement(s47, "DateOfInitialCPC").text = _iso(row.icpc_date)
    ET.SubElement(s47, "ICPCnotRequired").text = "true" if row.icpc_not_required else "false"
    return child


def to_xml(rows: Iterable[Section47Row], year: CollectionYear) -> bytes:
    """The census's <Message> with its CollectionDetails and one <Child> per section 47 enquiry: a fragment to
    reconcile with the council's return, not a submission (no Source header, and only the items this tool holds).
    An item the tool does not hold is left out rather than sent empty."""
    message = ET.Element("Message")
    header = ET.SubElement(message, "Header")
    details = ET.SubElement(header, "CollectionDetails")
    ET.SubElement(details, "Collection").text = "CIN"
    ET.SubElement(details, "Year").text = str(year.census_year)
    ET.SubElement(details, "ReferenceDate").text = _iso(year.reference_date)
    children = ET.SubElement(message, "Children")
    for row in rows:
        children.append(_child_element(row))
    ET.indent(message)
    return ET.tostring(message, encoding="utf-8", xml_declaration=True) + b"\n"


CSV_HEADER = ("LAchildID", "PersonBirthDate", "ExpectedPersonBirthDate", "Sex", "CINreferralDate",
              "S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired",
              "Validation codes", "Child record (this tool)", "Strategy discussion (this tool)")


def csv_rows(rows: Iterable[Section47Row], failures: Iterable[Failure]) -> list[list]:
    """One line per <Section47> group, census item names as the header, and the codes of the rules it fails."""
    codes: dict[int, list[str]] = {}
    for failure in failures:
        codes.setdefault(id(failure.row), []).append(failure.code)
    return [[row.la_child_id or "", _iso(row.person_birth_date), _iso(row.expected_birth_date), row.sex,
             _iso(row.referral_date), _iso(row.s47_start), _iso(row.icpc_target), _iso(row.icpc_date),
             "true" if row.icpc_not_required else "false", " ".join(codes.get(id(row), [])),
             row.child_id, row.discussion_id] for row in rows]


@dataclass
class Figures:
    """Counts only: what the partnership business unit sees."""

    enquiries: int = 0
    conferences: int = 0
    not_required: int = 0
    open: int = 0
    failures_by_code: dict[str, int] = field(default_factory=dict)


def figures(rows: list[Section47Row], failures: list[Failure]) -> Figures:
    result = Figures(enquiries=len(rows))
    for row in rows:
        if row.icpc_date is not None:
            result.conferences += 1
        elif row.icpc_not_required:
            result.not_required += 1
        else:
            result.open += 1
    for failure in failures:
        result.failures_by_code[failure.code] = result.failures_by_code.get(failure.code, 0) + 1
    return result
