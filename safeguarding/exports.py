"""CSV downloads that are safe to open in a spreadsheet.

A cell that starts with = + - @ (or a tab or carriage return) is run as a formula by Excel and LibreOffice, so
an agency name typed as "=HYPERLINK(...)" could run on a manager's machine. Such text is prefixed with a single
quote, which spreadsheets show as text (OWASP "CSV injection"). Numbers are written as numbers.
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, Sequence

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    # The byte-order mark makes Excel read the file as UTF-8 (agency names with accents or curly quotes).
    body = "\ufeff" + csv_text(header, rows)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
