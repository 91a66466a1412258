"""Flask commands for operators: create-user, seed-demo (and, as features land, scheduler and reminders)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .auth import services
from .auth.models import Agency, AgencyKind, Role, User
from .extensions import db
from .service import RuleError, transaction


@click.command("create-user")
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--agency", "agency_name", required=True, help="Name of an existing agency")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--job-title", default="")
@click.password_option(help="At least 12 characters; prompted for if not given")
@with_appcontext
def create_user_command(name, email, agency_name, role, job_title, password):
    """Create a user (for example the first administrator)."""
    agency = db.session.execute(db.select(Agency).where(Agency.name == agency_name)).scalar_one_or_none()
    if agency is None:
        raise click.ClickException(f"No agency called {agency_name!r}. Run `flask create-agency` first.")
    try:
        with transaction():
            user = services.create_user(
                {"name": name, "email": email, "agency_id": agency.id, "job_title": job_title, "role": role},
                password, chosen_by_owner=True,  # typed at the prompt by the person it is for
            )
    except RuleError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"Created user {user.id} <{user.email}> ({user.role}) in {agency.name}")


@click.command("create-agency")
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice([k.value for k in AgencyKind]), required=True)
@click.option("--mailbox", default=None)
@with_appcontext
def create_agency_command(name, kind, mailbox):
    """Create an agency."""
    try:
        with transaction():
            agency = services.create_agency({"name": name, "kind": kind, "shared_mailbox": mailbox,
                                             "is_active": True})
    except RuleError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"Created agency {agency.id} {agency.name}")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing if any user exists (used by `make run`)")
@with_appcontext
def seed_demo_command(if_empty):
    """Load the demo partnership: agencies, users of every role, children and discussions."""
    from .auth import mfa
    from .demo import demo_password, seed

    if not mfa.demo_secret_allowed():
        raise click.ClickException("Demo data is not loaded in production configuration: its users share the "
                                   "published demo sign-in key")
    if if_empty and db.session.execute(db.select(User.id).limit(1)).first() is not None:
        click.echo("Demo data already loaded; nothing to do")
        return
    summary = seed(demo_password(current_app))
    click.echo(summary)


@click.command("seed-synthetic")
@click.option("--scale", type=click.FloatRange(min=0.001, max=100), default=1.0, show_default=True,
              help="1 = the largest English partnership (25,000 strategy discussions); 10 = ten times that")
@click.option("--force", is_flag=True, help="Load even though the database holds people who are not synthetic")
@with_appcontext
def seed_synthetic_command(scale, force):
    """Load a synthetic partnership for measuring pages (never into a live database)."""
    from .auth import passwords
    from .clock import now
    from .demo import demo_password
    from . import synthetic

    try:
        synthetic.refuse_real_data()
    except synthetic.RealDataPresent as err:
        if not force:
            raise click.ClickException(f"{err}: this looks like real data. Use an empty database "
                                       "(or --force if you are sure).") from None
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    sizes = synthetic.counts(scale)
    click.echo(f"Loading a synthetic partnership at scale {scale:g}: {sizes['discussions']:,} strategy discussions, "
               f"{sizes['children']:,} children, {sizes['missing']:,} missing episodes")
    with click.progressbar(length=synthetic.estimated_rows(scale), label="Rows", show_eta=True) as bar:
        loaded = synthetic.generate(scale, now(), passwords.hash_password(demo_password(current_app)),
                                    progress=bar.update)
    click.echo(f"Loaded {sum(loaded.values()):,} rows: "
               + ", ".join(f"{table} {rows:,}" for table, rows in loaded.items()))
    click.echo(f"The reports' figures are worked out ({loaded['report_day_count']:,} summary rows)")
    click.echo(f"Sign in as mash@{synthetic.DOMAIN}, police@{synthetic.DOMAIN} ... with the demo password")


@click.command("mfa-code")
@click.argument("email")
@with_appcontext
def mfa_code_command(email):
    """Print a user's current sign-in code (for the demo users, who have no phone; anyone who can run this
    command can read the database anyway)."""
    from .auth import mfa

    user = services.find_user_by_email(email)
    if user is None or not user.mfa_secret:
        raise click.ClickException(f"No sign-in codes are set up for {email}")
    click.echo(mfa.current_code(user.mfa_secret))


@click.command("reset-sign-in-codes")
@click.argument("email")
@click.option("--reason", required=True, help="Why, for the audit trail (e.g. phone lost, service desk call 1234)")
@with_appcontext
def reset_sign_in_codes_command(email, reason):
    """Reset someone's sign-in codes: they set up an authenticator app again at their next sign-in. For operators,
    when no second administrator can approve it in the app (an administrator's own codes, with two of them)."""
    from .auth import mfa, role_requests

    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the email address {email}")
    reason = " ".join(reason.split())
    if not reason:
        raise click.ClickException("Give the reason (--reason), for the audit trail")
    with transaction():
        waiting = role_requests.pending_for(user, "sign_in_codes")
        if waiting is not None:
            role_requests.mark_lapsed(waiting, actor=None, why="the codes were reset at the command line")
        mfa.reset(user, actor=None, how=f"at the command line: {reason}")
    click.echo(f"Sign-in codes reset for {user.name} <{user.email}>: they set up new ones when they next sign in")


@click.command("check-child-links")
@click.option("--repair", is_flag=True, help="Rebuild every child's links from the records if they differ")
@with_appcontext
def check_child_links_command(repair):
    """Check that the links kept for the children lists (who may see which child) equal what the records give."""
    from .children import links

    connection = db.session.connection()
    missing, extra = links.differences(connection)
    if not missing and not extra:
        click.echo("The children's links match the records.")
        return
    for label, rows in (("Given by the records but not kept", missing), ("Kept but not given by the records", extra)):
        for child_id, via, agency_id, user_id in rows:
            click.echo(f"{label}: child {child_id}, via {via}, agency {agency_id}, person {user_id}")
    if not repair:
        raise click.ClickException("The children's links differ from the records (run again with --repair)")
    rows = links.rebuild_all(connection)
    db.session.commit()
    click.echo(f"Rebuilt: {rows:,} links")


@click.command("check-open-deadlines")
@click.option("--repair", is_flag=True, help="Work every open deadline out again from the records if they differ")
@with_appcontext
def check_open_deadlines_command(repair):
    """Check that the open deadlines kept for My work equal what the records give."""
    from .kept_deadlines import rows as kept

    missing, extra = kept.differences(db.session)
    if not missing and not extra:
        click.echo("My work's open deadlines match the records.")
        return
    for label, rows in (("Given by the records but not kept", missing), ("Kept but not given by the records", extra)):
        for object_type, object_id, kind, due_at, until, owner_id, team_agency_id in rows:
            ends = f", until {until:%Y-%m-%d %H:%M}" if until else ""
            click.echo(f"{label}: {kind} of {object_type} {object_id}, due {due_at:%Y-%m-%d %H:%M} UTC, "
                       f"owner {owner_id}, team {team_agency_id}{ends}")
    if not repair:
        raise click.ClickException("My work's open deadlines differ from the records (run again with --repair)")
    rows = kept.rebuild_all(db.session)
    db.session.commit()
    click.echo(f"Rebuilt: {rows:,} open deadlines")


def register(app) -> None:
    from .audit import cli as audit_cli
    from .reminders import cli as reminders_cli
    from .reports import cli as reports_cli
    from .retention import cli as retention_cli

    for command in (create_user_command, create_agency_command, seed_demo_command, seed_synthetic_command,
                    mfa_code_command, check_child_links_command, check_open_deadlines_command,
                    reset_sign_in_codes_command):
        app.cli.add_command(command)
    reminders_cli.register(app)  # `flask scheduler run`, `flask reminders sweep|deliver|digest`
    audit_cli.register(app)  # `flask audit seal|verify`
    retention_cli.register(app)  # `flask retention report|apply`
    reports_cli.register(app)  # `flask refresh-figures`
