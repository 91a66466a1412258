"""No file gives a 500: generated CSV files (wrong encodings, byte-order marks, missing and unknown columns, broken
quoting, control characters, huge cells and rows, random bytes) uploaded to both onboarding imports, checked and
applied. Deterministic, like tests/test_fuzz_forms.py; FUZZ_EXAMPLES raises the count."""
from __future__ import annotations

import base64
import io
import os

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from safeguarding.admin.csv_import import AGENCY_COLUMNS, USER_COLUMNS
from safeguarding.auth.models import Role

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
settings.register_profile("fuzz-imports", max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                          print_blob=False, phases=[Phase.explicit, Phase.generate],
                          suppress_health_check=list(HealthCheck))

NAMES = [c.name for c in USER_COLUMNS + AGENCY_COLUMNS] + ["password", "", "EMAIL", " name ", "id", "é"]
CELLS = ["", " ", "Testshire Police", "Testshire Children's Social Care", "mash", "manager", "admin", "police",
         "health", "yes", "no", "maybe", "someone@example.org", "not-an-email", "=HYPERLINK(\"x\")", "a\x00b",
         "\x1b[0m", "\r\n", "\"", "\"\"", "'", "\ufeff", "😀" * 30, "x" * 1001, "é" * 5000,
         "a" * 100_000, "\u202e", "٣"]
ENCODINGS = ["utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1", "ascii"]

cell = st.sampled_from(CELLS) | st.text(max_size=30)
line = st.lists(cell, max_size=12)


def _valid_user(n: int) -> list[str]:
    return [f"Fuzz Person {n}", f"fuzz{n}@example.org", "Testshire Police", "practitioner", "Constable", "", "yes"]


def _valid_agency(n: int) -> list[str]:
    return [f"Fuzz Agency {n}", "health", "", "yes"]


@st.composite
def csv_files(draw) -> bytes:
    """Usually a file that is nearly right (the real columns, good rows with a cell or two changed), so the rows get
    read and checked; sometimes anything at all."""
    kind = draw(st.sampled_from(["users", "agencies", "anything"]))
    if kind == "anything":
        header = draw(st.lists(st.sampled_from(NAMES), max_size=10))
        rows = draw(st.lists(line, max_size=20))
    else:
        columns, good = (USER_COLUMNS, _valid_user) if kind == "users" else (AGENCY_COLUMNS, _valid_agency)
        header = [c.name for c in columns]
        rows = [good(n) for n in range(draw(st.integers(0, 8)))]
        for _ in range(draw(st.integers(0, 3))):
            if rows:
                row = draw(st.sampled_from(rows))
                row[draw(st.integers(0, len(row) - 1))] = draw(cell)
    separator = draw(st.sampled_from([",", ",", ",", ";", "\t"]))
    newline = draw(st.sampled_from(["\r\n", "\n", "\r"]))

    def quote(value: str) -> str:
        return draw(st.sampled_from([value, value, '"' + value.replace('"', '""') + '"', '"' + value]))

    text = newline.join(separator.join(quote(v) for v in row) for row in [header, *rows])
    encoding = draw(st.sampled_from(ENCODINGS))
    return text.encode(encoding, errors="replace")


files = st.one_of(csv_files(), st.binary(max_size=2000),
                  st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\x00" * 50, b"name\r\n" + b"x," * 300_000,
                                   b"name,email,agency,role\r\n" + b"\"" * 10_000]))


def test_no_uploaded_file_gives_a_server_error(app, signed_in):
    client, _ = signed_in(Role.ADMIN)
    token = client.get("/admin/import/users").csrf()
    statuses: dict[int, int] = {}

    @settings(settings.get_profile("fuzz-imports"))
    @given(content=files, kind=st.sampled_from(["users", "agencies"]), name=st.sampled_from(["f.csv", "", "x.xlsx"]))
    def upload(content, kind, name):
        response = client.request("POST", f"/admin/import/{kind}", data={
            "csrf_token": token, "file": (io.BytesIO(content), name)}, content_type="multipart/form-data")
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code in (200, 400, 413), response.get_data(as_text=True)[:3000]
        applied = client.request("POST", f"/admin/import/{kind}/apply", data={
            "apply-csrf_token": token, "apply-content": base64.b64encode(content).decode()})
        assert applied.status_code in (302, 400, 413), applied.get_data(as_text=True)[:3000]

    upload()
    # the generator reached both answers: files refused, and files read row by row
    assert statuses.get(400) and statuses.get(200), statuses
