"""`flask retention report` (the dry run) and `flask retention apply`."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..clock import london_today
from ..service import transaction
from . import services

retention_cli = AppGroup("retention", help="The retention schedule: report what is due, then apply it.")


def _today(value: str | None):
    from datetime import date

    if not value:
        return london_today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date, e.g. 2026-12-01") from None


def _line(item: services.Due) -> str:
    state = "ON LEGAL HOLD: kept" if item.held else "would be anonymised"
    return (f"child {item.child_id}: due {item.due_on.isoformat()} ({item.why}); {item.counts['discussions']} "
            f"discussions, {item.counts['missing_episodes']} missing episodes; {state}")


@retention_cli.command("report")
@click.option("--today", "today_text", default=None, help="As if today were this date (YYYY-MM-DD)")
def report_command(today_text):
    """What the schedule would anonymise today (changes nothing)."""
    items = services.report(_today(today_text))
    for item in items:
        click.echo(_line(item))
    click.echo(f"{sum(not i.held for i in items)} children due, {sum(i.held for i in items)} on legal hold")


@retention_cli.command("apply")
@click.option("--today", "today_text", default=None, help="As if today were this date (YYYY-MM-DD)")
def apply_command(today_text):
    """Anonymise every child due and not on legal hold (one audit event each)."""
    with transaction():
        done = services.apply(_today(today_text))
    for item in done:
        click.echo(f"child {item.child_id}: anonymised (due {item.due_on.isoformat()})")
    click.echo(f"{len(done)} children anonymised")


def register(app) -> None:
    app.cli.add_command(retention_cli)
