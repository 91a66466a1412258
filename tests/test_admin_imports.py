"""Onboarding users and agencies from CSV: reading the file, the dry run, applying it once, and its errors."""
from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from safeguarding.admin import csv_import
from safeguarding.admin.csv_import import AGENCY_COLUMNS, USER_COLUMNS
from safeguarding.audit.models import AuditEvent
from safeguarding.auth import services
from safeguarding.auth.models import Agency, Role, RoleRequest, User
from safeguarding.auth.passwords import NO_PASSWORD
from safeguarding.extensions import db
from safeguarding.reminders.models import OutboundEmail

from .pages import PageClient

USERS_HEADER = "name,email,agency,role,job_title,line_manager_email,active\r\n"


def _csv(*lines: str, header: str = USERS_HEADER) -> bytes:
    return (header + "".join(line + "\r\n" for line in lines)).encode()


def _upload(client, kind: str, content: bytes, expected: int = 200, filename: str = "file.csv"):
    form = client.get(f"/admin/import/{kind}")
    return client.post(f"/admin/import/{kind}", {"csrf_token": form.csrf(), "file": (io.BytesIO(content), filename)},
                       expected, content_type="multipart/form-data")


def _apply(client, kind: str, checked, expected: int = 302):
    from .discussion_data import hidden_fields

    return client.post(f"/admin/import/{kind}/apply", hidden_fields(checked.html), expected)


def _users() -> dict[str, User]:
    return {u.email: u for u in db.session.execute(select(User)).scalars()}


def _count(action: str, object_type: str | None = None) -> int:
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    return db.session.execute(query).scalar_one()


# --- Reading the file (pure) ---------------------------------------------------------------------------------


def test_a_file_with_excels_byte_order_mark_and_blank_lines_is_read():
    parsed = csv_import.parse(b"\xef\xbb\xbf" + _csv("Sam Patel,sam@example.org,Police,mash,,,", ",,,,,,", ""),
                              USER_COLUMNS)
    assert parsed.problems == []
    assert [(r.number, r.cells["email"]) for r in parsed.rows] == [(2, "sam@example.org")]


def test_problems_with_the_file_as_a_whole():
    def problems(content):
        return csv_import.parse(content, USER_COLUMNS).problems

    assert "CSV UTF-8" in problems("name,email\r\nRené,r@example.org\r\n".encode("utf-16"))[0]
    assert "CSV UTF-8" in problems("name,email,agency,role\r\nRené,r@example.org,X,mash\r\n".encode("latin-1"))[0]
    assert "is an Excel workbook" in problems(b"PK\x03\x04\x14\x00\x06\x00rest-of-a-zip")[0]
    assert problems(b"name;email;agency;role\r\nSam;s@example.org;Police;mash\r\n") == [
        "The columns must be separated by commas: save the file as CSV UTF-8 (Comma delimited)"]
    assert problems(b"") == ["The selected file is empty"]
    assert problems(b"\xef\xbb\xbf \r\n") == ["The selected file is empty"]
    assert problems(b"name,email\r\n") == [
        "The first row must name the columns: agency, role are missing"]
    assert problems(b"name,email,agency,role,password\r\n") == [
        "The first row names columns this import does not know: password. Use only: name, email, agency, role, "
        "job_title, line_manager_email, active"]
    assert problems(b"name,email,agency,role,email\r\n") == ["The first row names a column more than once: email"]
    assert "not a readable CSV" in problems(b'name,email,agency,role\r\n"Sam" Patel,x,y,z\r\n')[0]
    many = _csv(*[f"P{n},p{n}@example.org,Police,mash,,," for n in range(csv_import.MAX_ROWS + 1)])
    assert problems(many) == ["The file must have 2000 rows or fewer: split it and upload each part"]


def test_problems_with_a_row_name_the_row_and_column():
    parsed = csv_import.parse(_csv("Sam,sam@example.org,Police,mash,,,,extra", "Ann\x00,a@example.org,Police,mash,,,",
                                   "B," + "x" * 1001 + ",Police,mash,,,"), USER_COLUMNS)
    assert [(r.number, r.errors) for r in parsed.rows] == [
        (2, [(None, "Row 2 has more cells than the first row has column names")]),
        (3, [("name", "name contains unusual characters: type it again rather than pasting it")]),
        (4, [("email", "email must be 1000 characters or fewer")])]


def test_yes_no_and_the_example_file():
    assert [csv_import.yes_no(v) for v in ("", "Yes", "y", "TRUE", "no", "N", "0", "maybe")] == [
        True, True, True, True, False, False, False, None]
    example = csv_import.example_csv(AGENCY_COLUMNS)
    assert example.splitlines()[0] == "name,kind,shared_mailbox,active"
    assert csv_import.parse(example.encode(), AGENCY_COLUMNS).problems == []


# --- Users -----------------------------------------------------------------------------------------------------


def test_dry_run_shows_each_row_and_saves_nothing_then_apply_is_idempotent(signed_in, agencies, make_user):
    client, admin = signed_in(Role.ADMIN)
    existing = make_user(Role.PRACTITIONER, "csc", name="Kim Existing", email="kim@example.org")
    same = make_user(Role.MASH, "police", name="Pat Same", email="pat@example.org")
    same.job_title = "Tester"
    db.session.commit()
    content = _csv(
        "Ann Manager,ann@example.org,Testshire Children's Social Care,manager,Team manager,,yes",
        "Bob Worker,BOB@example.org,testshire children's social care,practitioner,Social worker,ann@example.org,",
        "Kim Existing,kim@example.org,Testshire Children's Social Care,manager,Tester,,yes",
        "Pat Same,pat@example.org,Testshire Police,mash,Tester,,yes")
    before = len(_users())
    checked = _upload(client, "users", content)
    assert "4 rows: 2 new, 1 changed, 1 unchanged" in checked
    assert "Changed role" in checked and "Unchanged" in checked
    assert len(_users()) == before  # the dry run kept nothing
    assert _count("create", "user") == 0 and _count("import_checked", "users") == 1

    _apply(client, "users", checked)
    users = _users()
    ann, bob = users["ann@example.org"], users["bob@example.org"]
    assert (bob.name, bob.agency_id, bob.role, bob.line_manager_id) == (
        "Bob Worker", agencies["csc"].id, "practitioner", ann.id)
    assert bob.password_hash == NO_PASSWORD and bob.must_change_password and bob.awaiting_password
    assert users["kim@example.org"].role == "manager" and existing.id == users["kim@example.org"].id
    assert _count("create", "user") == 2 and _count("update", "user") == 1 and _count("import", "users") == 1
    page = client.get("/admin/users")
    assert "Import applied: 2 new, 1 changed, 1 unchanged" in page
    assert page.html.count("Waiting for a second administrator") == 2  # the new ones only

    # the same file again: everything unchanged, nothing written but the record of the import
    again = _upload(client, "users", content)
    assert "4 rows: 0 new, 0 changed, 4 unchanged" in again
    _apply(client, "users", again)
    assert len(_users()) == len(users) and _count("create", "user") == 2 and _count("update", "user") == 1
    assert _count("import", "users") == 2


def test_an_imported_user_cannot_sign_in_until_they_have_a_password(app, signed_in, agencies):
    client, admin = signed_in(Role.ADMIN)
    second, _ = signed_in(Role.ADMIN)
    _apply(client, "users", _upload(client, "users", _csv(
        "Nia New,nia@example.org,Testshire Police,practitioner,Constable,,",
        "Ash Admin,ash@example.org,Testshire Police,admin,Administrator,,")))
    nia, ash = _users()["nia@example.org"], _users()["ash@example.org"]
    newcomer = PageClient(app.test_client())
    for guess in ("", NO_PASSWORD, "!no-password-yet"):
        newcomer.sign_in("nia@example.org", guess or "anything-at-all-1", expected=200)

    # No administrator types the password; no link is sent until a second administrator approves the account, and
    # then the person is emailed one and chooses their own.
    assert "Email them a password link instead" in client.get(f"/admin/users/{nia.id}/password")
    client.post_form(f"/admin/users/{nia.id}/password-link", {}, expected=400)
    assert db.session.execute(select(OutboundEmail)).all() == []
    request = db.session.execute(select(RoleRequest).where(RoleRequest.user_id == nia.id)).scalar_one()
    second.post_form(f"/admin/role-requests/{request.id}", {
        f"r{request.id}-decision": "approve", f"r{request.id}-version": str(request.version)},
        form_url="/admin/role-requests")
    link = db.session.execute(select(OutboundEmail.body).where(OutboundEmail.to_address == "nia@example.org")
                              ).scalar_one()
    path = re.search(r"http://localhost(/set-password/\S+)", link).group(1)
    newcomer.post_form(path, {"new_password": "violet-orchard-lantern-77",
                              "confirm_password": "violet-orchard-lantern-77"})
    newcomer.sign_in("nia@example.org", "violet-orchard-lantern-77")
    assert newcomer.get("/home").status == 200

    # An administrator's account too: a colleague never types its password (they could approve their own requests).
    assert "Email them a password link instead" in client.get(f"/admin/users/{ash.id}/password")


def test_every_row_error_is_shown_with_its_row_and_column_and_nothing_can_be_applied(signed_in, agencies,
                                                                                     make_user):
    client, admin = signed_in(Role.ADMIN)
    make_user(Role.MASH, "csc", email="taken@example.org", name="Taken Already")
    content = _csv(
        ",nobody@example.org,Testshire Police,mash,,,",                       # 2: no name
        "Eve,not-an-email,Testshire Police,mash,,,",                          # 3: bad email
        "Fay,fay@example.org,Atlantis Constabulary,mash,,,",                  # 4: unknown agency
        "Gus,gus@example.org,Testshire Police,chief,,,",                      # 5: unknown role
        "Hal,hal@example.org,Testshire Police,mash,,nobody-at-all@example.org,",  # 6: unknown manager
        "Ivy,ivy@example.org,Testshire Police,mash,,ivy@example.org,",        # 7: her own manager
        "Jo,fay@example.org,Testshire Police,mash,,,",                        # 8: same email as row 4
        "Kit,kit@example.org,Testshire Police,mash,,,perhaps",                # 9: active neither yes nor no
        f"Admin,{admin.email},Testshire Police,manager,,,",                   # 10: an administrator made a manager
        f"Admin,{admin.email},{admin.agency.name},admin,,,no",                # 11: own account deactivated
        "Lee,lee@example.org,Testshire Police,mash,,gone@example.org,")       # 12: manager deactivated
    make_user(Role.MANAGER, "police", email="gone@example.org", name="Gone Away", active=False)
    page = _upload(client, "users", content, expected=400)
    assert page.title.startswith("Error: ")
    for expected in ("Row 2, column name: Enter the person's full name",
                     "Row 3, column email: Enter an email address in the correct format, like name@example.org",
                     "Row 4, column agency: No agency has this name: add it under Agencies first, or check the "
                     "spelling",
                     "Row 5, column role: role must be one of: mash, practitioner, manager, admin",
                     "Row 6, column line_manager_email: No user has this email address, here or in this file",
                     "Row 7, column line_manager_id" if False else "Row 7, column line_manager_email: A user cannot be "
                     "their own line manager",
                     "Row 8, column email: email is the same as in row 4: each row must be a different person",
                     "Row 9, column active: active must be yes or no",
                     "Row 10, column role: An administrator's account gets a case role only with a second "
                     "administrator's approval: change it on the user's page",
                     "Row 11, column email: email is the same as in row 10",
                     "Row 12, column line_manager_email: This line manager's account is deactivated"):
        assert expected in page, expected
    assert 'href="#row-7"' in page.html
    assert "Apply these changes" not in page
    # a checked file changed on its way back is checked again, and refused whole
    import base64

    bad = client.post("/admin/import/users/apply", {"apply-csrf_token": page.csrf(),
                                                    "apply-content": base64.b64encode(content).decode()}, 400)
    assert "There is a problem with the file: nothing has been saved" in bad
    assert "ivy@example.org" not in _users() and _count("import", "users") == 0


def test_a_line_manager_whose_row_fails_is_named(signed_in, agencies):
    client, _ = signed_in(Role.ADMIN)
    page = _upload(client, "users", _csv("Boss,boss@example.org,Nowhere,manager,,,",
                                         "Staff,staff@example.org,Testshire Police,mash,,boss@example.org,"),
                   expected=400)
    assert "Row 3, column line_manager_email: The line manager's own row has an error: fix that row first" in page


def test_only_administrators_import(signed_in):
    for role in (Role.MANAGER, Role.MASH, Role.PRACTITIONER):
        client, _ = signed_in(role)
        client.get("/admin/import/users", expected=403)
        client.post("/admin/import/users/apply", {"csrf_token": client.get("/home").csrf()}, expected=403)
    admin, _ = signed_in(Role.ADMIN)
    admin.get("/admin/import/children", expected=404)


def test_bad_uploads_are_errors_not_failures(signed_in):
    client, _ = signed_in(Role.ADMIN)
    form = client.get("/admin/import/users")
    page = client.post("/admin/import/users", {"csrf_token": form.csrf()}, 400, content_type="multipart/form-data")
    assert "Select a CSV file" in page
    page = _upload(client, "users", "name\r\nÉ\r\n".encode("cp1252"), expected=400)
    assert "The file must be saved as CSV UTF-8" in page
    client.post("/admin/import/users/apply", {"apply-csrf_token": form.csrf(), "apply-content": "%%% not base64"},
                302)
    assert "Upload the file again" in client.get("/admin/import/users")


def test_a_partnership_sized_file_is_checked_in_one_request(signed_in, agencies):
    client, _ = signed_in(Role.ADMIN)
    rows = [f"Person {n},person{n}@example.org,Testshire Police,practitioner,Constable,"
            f"{'person0@example.org' if n else ''}," for n in range(500)]
    checked = _upload(client, "users", _csv(*rows))
    assert "500 rows: 500 new, 0 changed, 0 unchanged" in checked
    _apply(client, "users", checked)
    assert db.session.execute(select(func.count()).select_from(User).where(User.line_manager_id.is_not(None))
                              ).scalar_one() == 499


# --- Agencies --------------------------------------------------------------------------------------------------


def test_agencies_new_changed_unchanged_and_errors(signed_in, agencies):
    client, _ = signed_in(Role.ADMIN)
    header = "name,kind,shared_mailbox,active\r\n"
    content = _csv("Northshire Youth Justice,youth_justice,yjs@example.org,yes",
                   "Testshire Police,police,newbox@agency.example.org,",       # changed mailbox
                   "Testshire NHS,health,health@agency.example.org,yes",       # unchanged
                   "Test Academy,education,,no",                               # deactivated, mailbox removed
                   header=header)
    checked = _upload(client, "agencies", content)
    assert "4 rows: 1 new, 2 changed, 1 unchanged" in checked
    _apply(client, "agencies", checked)
    by_name = {a.name: a for a in db.session.execute(select(Agency)).scalars()}
    assert by_name["Northshire Youth Justice"].kind == "youth_justice"
    assert by_name["Testshire Police"].shared_mailbox == "newbox@agency.example.org"
    assert not by_name["Test Academy"].is_active and by_name["Test Academy"].shared_mailbox is None
    assert "4 rows: 0 new, 0 changed, 4 unchanged" in _upload(client, "agencies", content)

    bad = _upload(client, "agencies", _csv(",police,,", "Fire Service,fire,,", "X,police,not-an-email,",
                                           header=header), expected=400)
    assert "Row 2, column name: Enter the agency's name" in bad
    assert "Row 3, column kind: kind must be one of: childrens_social_care, police" in bad
    assert "Row 4, column shared_mailbox: Enter the mailbox in the correct format" in bad


def test_the_operators_log_does_not_report_what_a_dry_run_rolled_back(signed_in, agencies, caplog):
    client, _ = signed_in(Role.ADMIN)
    content = _csv("Lou Logged,lou@example.org,Testshire Police,mash,,,")
    with caplog.at_level("INFO"):
        checked = _upload(client, "users", content)
    assert "user created" not in caplog.text and "audit action=create" not in caplog.text
    with caplog.at_level("INFO"):
        _apply(client, "users", checked)
    assert "user created" in caplog.text and "import users new=1" in caplog.text


def test_an_administrator_cannot_deactivate_themselves_by_file(signed_in):
    client, admin = signed_in(Role.ADMIN)
    page = _upload(client, "users", _csv(f"{admin.name},{admin.email},{admin.agency.name},admin,Tester,,no"),
                   expected=400)
    assert "Row 2, column active: You cannot deactivate your own account" in page
    assert db.session.get(User, admin.id).is_active_user


def test_a_clash_with_someone_elses_change_saves_nothing(signed_in, agencies, monkeypatch):
    """Another administrator adds the same email between this run's check and its write: the database's unique
    email refuses it, and the whole file is left unapplied with a message, not a server error."""
    from sqlalchemy.exc import IntegrityError

    client, _ = signed_in(Role.ADMIN)
    checked = _upload(client, "users", _csv("Rae Race,rae@example.org,Testshire Police,mash,,,",
                                            "Sid Second,sid@example.org,Testshire Police,mash,,,"))
    real = services.create_user_awaiting_password

    def clash(data, **kwargs):
        if data["email"] == "sid@example.org":
            raise IntegrityError("INSERT", {}, Exception("duplicate key value violates unique constraint"))
        return real(data, **kwargs)

    monkeypatch.setattr(services, "create_user_awaiting_password", clash)
    _apply(client, "users", checked)
    assert "Someone else changed users or agencies" in client.get("/admin/import/users")
    assert "rae@example.org" not in _users() and _count("import", "users") == 0
