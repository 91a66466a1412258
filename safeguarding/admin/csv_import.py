"""Reading an onboarding CSV (users or agencies) into rows, with the problems a person can fix: pure, no Flask, no
database. What a row means (new, changed, or a rule it breaks) is decided by `imports.py` with the same services
and rules as the admin forms.

A file is read whole or not at all: a wrong encoding, a missing column or a broken line is a problem with the file,
named so the person can fix it in their spreadsheet and upload it again.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from ..input_guard import has_control_characters

#: a partnership has hundreds of users; a file this long is a mistake (the wrong export), not an onboarding
MAX_ROWS = 2000
#: no column of either file holds more than an email address or a name; this leaves room and refuses junk early
MAX_CELL = 1000


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    about: str
    example: str


USER_COLUMNS: tuple[Column, ...] = (
    Column("name", True, "Full name", "Sam Patel"),
    Column("email", True, "Email address: how the person signs in, and how a row finds an existing user",
           "sam.patel@northshire.gov.uk"),
    Column("agency", True, "The agency's name, exactly as in Agencies (add agencies first)",
           "Northshire Children's Social Care"),
    Column("role", True, "mash, practitioner, manager or admin", "practitioner"),
    Column("job_title", False, "Job title", "Social worker"),
    Column("line_manager_email", False, "The line manager's email address: an existing user or one in this file",
           "alex.jones@northshire.gov.uk"),
    Column("active", False, "yes or no (empty means yes)", "yes"),
)
AGENCY_COLUMNS: tuple[Column, ...] = (
    Column("name", True, "The agency's name: how a row finds an existing agency", "Northshire Police"),
    Column("kind", True, "The kind of agency, one of the codes listed below", "police"),
    Column("shared_mailbox", False, "The safeguarding team's shared mailbox", "mash@northshire.police.uk"),
    Column("active", False, "yes or no (empty means yes)", "yes"),
)
YES, NO = frozenset({"yes", "y", "true", "1"}), frozenset({"no", "n", "false", "0"})


@dataclass
class Row:
    """One line of the file: its number as a spreadsheet shows it (the header is row 1) and its cells by column."""

    number: int
    cells: dict[str, str]
    errors: list[tuple[str | None, str]] = field(default_factory=list)

    def error(self, column: str | None, message: str) -> None:
        self.errors.append((column, message))


@dataclass
class ParsedFile:
    rows: list[Row] = field(default_factory=list)
    #: problems with the file as a whole: nothing in it can be used until they are fixed
    problems: list[str] = field(default_factory=list)


def decode(content: bytes) -> str | None:
    """The file's text if it is UTF-8 (with or without Excel's byte-order mark); None otherwise."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def parse(content: bytes, columns: tuple[Column, ...]) -> ParsedFile:
    result = ParsedFile()
    if content.startswith(b"PK\x03\x04"):  # a zip: an Excel workbook (.xlsx), not its CSV
        result.problems.append("The selected file is an Excel workbook: save it as CSV UTF-8 (in Excel: Save as, then "
                               "‘CSV UTF-8 (Comma delimited)’) and upload that")
        return result
    text = decode(content)
    if text is None:
        result.problems.append("The file must be saved as CSV UTF-8 (in Excel: Save as, then ‘CSV UTF-8 (Comma "
                               "delimited)’)")
        return result
    if not text.strip():
        result.problems.append("The selected file is empty")
        return result
    names = [c.name for c in columns]
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        header = [h.strip().lower() for h in next(reader)]
        if len(header) == 1 and any(sep in header[0] for sep in (";", "\t")):
            result.problems.append("The columns must be separated by commas: save the file as CSV UTF-8 (Comma "
                                   "delimited)")
            return result
        missing = [c.name for c in columns if c.required and c.name not in header]
        unknown = [h for h in header if h not in names]
        repeated = sorted({h for h in header if h and header.count(h) > 1})
        if missing:
            result.problems.append(f"The first row must name the columns: {', '.join(missing)} "
                                   f"{'is' if len(missing) == 1 else 'are'} missing")
        if unknown:
            shown = ", ".join(_printable(h) or "(an empty name)" for h in unknown[:5])
            result.problems.append(f"The first row names columns this import does not know: {shown}. "
                                   f"Use only: {', '.join(names)}")
        if repeated:
            result.problems.append(f"The first row names a column more than once: {', '.join(repeated)}")
        if result.problems:
            return result
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue  # a blank line (Excel leaves them at the end)
            if len(result.rows) >= MAX_ROWS:
                result.problems.append(f"The file must have {MAX_ROWS} rows or fewer: split it and upload each part")
                return result
            result.rows.append(_row(number, header, values))
    except csv.Error as err:
        result.problems.append(f"The file is not a readable CSV after row {len(result.rows) + 1} ({err}): save it "
                               "again from your spreadsheet as CSV UTF-8")
    except StopIteration:
        result.problems.append("The selected file is empty")
    return result


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:60]


def _row(number: int, header: list[str], values: list[str]) -> Row:
    row = Row(number, {})
    if len(values) > len(header):
        row.error(None, f"Row {number} has more cells than the first row has column names")
    for name, value in zip(header, values, strict=False):  # a short row leaves its last columns empty
        value = value.strip()
        if len(value) > MAX_CELL:
            row.error(name, f"{name} must be {MAX_CELL} characters or fewer")
            value = ""
        elif has_control_characters(value):
            row.error(name, f"{name} contains unusual characters: type it again rather than pasting it")
            value = ""
        row.cells[name] = value
    return row


def yes_no(value: str) -> bool | None:
    """True, False, or None when the answer is neither (empty counts as yes)."""
    lowered = value.strip().lower()
    if not lowered or lowered in YES:
        return True
    if lowered in NO:
        return False
    return None


def example_csv(columns: tuple[Column, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    writer.writerow([c.example for c in columns])
    return out.getvalue()
