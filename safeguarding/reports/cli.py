"""`flask refresh-figures`: work the reports' summaries out now (after an import, a restore, a seed, or to check)."""
from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import clock
from . import summaries


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date, e.g. 2026-12-01") from None


@click.command("refresh-figures")
@click.option("--recent", is_flag=True, help="Only the last FIGURES_RECENT_DAYS days (the scheduler's frequent job)")
@click.option("--from", "first_text", default=None, help="First day (YYYY-MM-DD), with --to: only those days")
@click.option("--to", "last_text", default=None, help="Last day (YYYY-MM-DD)")
@with_appcontext
def refresh_figures_command(recent, first_text, last_text):
    """Work out the reports' figures (every day, as the scheduler does each night, unless told which days)."""
    now = clock.now()
    today = clock.to_london(now).date()
    first, last = _day(first_text), _day(last_text)
    if (first is None) != (last is None):
        raise click.UsageError("Give both --from and --to, or neither")
    if first is not None and last < first:
        raise click.UsageError("--to must be the same as or after --from")
    if recent:
        first, last = summaries.recent_days(today, current_app.config["FIGURES_RECENT_DAYS"])
    elif first is None:
        first, last = summaries.all_days(today)
    click.echo(f"Working out the reports' figures for {first.isoformat()} to {last.isoformat()}, as at "
               f"{clock.to_london(now):%H:%M} today")
    with click.progressbar(length=(last - first).days + 1, label="Days", show_eta=True) as bar:
        if recent:
            done = summaries.refresh_recent(now, current_app.config["FIGURES_RECENT_DAYS"], progress=bar.update)
        elif first_text is None:
            done = summaries.refresh_all(now, progress=bar.update)
        else:
            done = summaries.refresh(first, last, now=now, progress=bar.update)
    click.echo(done.line())


def register(app) -> None:
    app.cli.add_command(refresh_figures_command)
