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
