"""`flask audit seal` and `flask audit verify`: the hash chain over the audit trail (see chain.py)."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..extensions import db

audit_cli = AppGroup("audit", help="The audit trail's hash chain.")


@audit_cli.command("seal")
def seal_command():
    """Chain every audit event older than two minutes that is not sealed yet (the scheduler does this)."""
    from . import chain

    count = chain.seal()
    db.session.commit()
    click.echo(f"Audit: {count} events sealed")


@audit_cli.command("verify")
def verify_command():
    """Walk the whole chain; exit 1 and list what is wrong when the trail was altered."""
    from . import chain

    result = chain.verify()
    click.echo(result.line())
    for problem in result.problems[:100]:
        click.echo(f"  - {problem}")
    if not result.ok:
        sys.exit(1)


def register(app) -> None:
    app.cli.add_command(audit_cli)


@audit_cli.command("grants")
@click.argument("app_role")
def grants_command(app_role):
    """Print the SQL that lets APP_ROLE (the role the web app and scheduler connect as) use every table, but only read
    and add to the audit trail. Run it as the tables' owner (the role migrations run as), after each upgrade."""
    from ..extensions import db
    from .models import AuditEvent, AuditSeal

    if not app_role.replace("_", "").isalnum():
        raise click.BadParameter("a role name of letters, digits and underscores")
    audit_tables = {AuditEvent.__tablename__, AuditSeal.__tablename__}
    others = sorted(t.name for t in db.metadata.sorted_tables if t.name not in audit_tables)
    click.echo(f"GRANT USAGE ON SCHEMA public TO {app_role};")
    click.echo(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(others)} TO {app_role};")
    click.echo(f"GRANT SELECT, INSERT ON {', '.join(sorted(audit_tables))} TO {app_role};")
    click.echo(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app_role};")
    click.echo(f"REVOKE TRUNCATE, UPDATE, DELETE, TRIGGER, REFERENCES ON {', '.join(sorted(audit_tables))} "
               f"FROM {app_role};")
