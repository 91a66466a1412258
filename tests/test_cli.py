from safeguarding.auth.models import Agency, User
from safeguarding.extensions import db


def test_seed_demo_then_create_user(runner, client, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-lantern-harbour-3")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Demo data loaded" in result.output
    roles = set(db.session.execute(db.select(User.role)).scalars())
    assert roles == {"admin", "mash", "practitioner", "manager"}
    # A visitor signed in as the demo manager opens Reports on last quarter and sees figures, not an empty page.
    client.sign_in("csc.manager@example.org", "demo-lantern-harbour-3")
    report = client.get("/reports/")
    assert "No strategy discussions were held in this period" not in report
    assert "Police were not present at" in report and "Later than the due date" in report
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "already loaded" in again.output

    result = runner.invoke(args=["create-user", "--name", "New Person", "--email", "new@example.org",
                                 "--agency", "Northshire Police", "--role", "practitioner",
                                 "--password", "granite-willow-falcon-8"])
    assert result.exit_code == 0, result.output
    assert db.session.execute(db.select(User).where(User.email == "new@example.org")).scalar_one().agency.name \
        == "Northshire Police"


def test_create_user_explains_a_weak_password(runner):
    db.session.add(Agency(name="Northshire Police", kind="police"))
    db.session.commit()
    result = runner.invoke(args=["create-user", "--name", "N", "--email", "n@example.org",
                                 "--agency", "Northshire Police", "--role", "practitioner", "--password", "short"])
    assert result.exit_code != 0
    assert "12 characters" in result.output


def test_demo_users_sign_in_with_the_code_the_command_prints(app_factory, runner, monkeypatch):
    from .pages import PageClient

    app = app_factory(MFA_REQUIRED=True)
    monkeypatch.setenv("DEMO_PASSWORD", "demo-lantern-harbour-3")
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    client = PageClient(app.test_client())
    client.sign_in("mash@example.org", "demo-lantern-harbour-3")
    code = runner.invoke(args=["mfa-code", "mash@example.org"]).output.strip()
    assert len(code) == 6 and code.isdigit()
    client.post_form("/sign-in/code", {"code": code})
    assert client.get("/home").status == 200
