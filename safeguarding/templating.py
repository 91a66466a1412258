"""Template globals and filters: London time on screen, the navigation, the CSP nonce."""
from __future__ import annotations

from collections import ChainMap
from datetime import date, datetime, timedelta

from typing import Callable

import jinja2
from jinja2.filters import do_indent

from flask import current_app, g, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from .auth.access import can
from .auth.sessions import seconds_left
from .clock import london_today, now, to_london
from .govuk_fields import classed
from .security import csp_nonce


def london(value: datetime | None, fmt: str = "%-d %b %Y %H:%M") -> str:
    if value is None:
        return ""
    return to_london(value).strftime(fmt)


def london_date(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_london(value).date()
    return value.strftime("%-d %B %Y")


def duration_words(seconds: float) -> str:
    """'2 days 3 hours', '45 minutes': the two largest units, as a person would say it."""
    seconds = int(abs(seconds))
    days, rem = divmod(seconds, 86400)
    hours, rem = divmod(rem, 3600)
    minutes = rem // 60
    parts = []
    for amount, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")):
        if amount:
            parts.append(f"{amount} {unit}{'' if amount == 1 else 's'}")
    return " ".join(parts[:2]) or "less than a minute"


def time_left(due: datetime | None, at: datetime | None = None) -> str:
    if due is None:
        return ""
    delta = (due - (at or now())).total_seconds()
    if delta < 0:
        return f"overdue by {duration_words(delta)}"
    return f"due in {duration_words(delta)}"


#: endpoint -> function(user) -> count shown beside its navigation entry (a feature registers its own, e.g. the
#: unread notifications); called once per page, so each must be one small indexed query.
NAV_BADGES: dict[str, Callable] = {}


_MENU = [
    ("My work", "dashboard.my_work", "case.view"),
    ("Children", "children.index", "case.view"),
    ("Discussions", "discussions.index", "case.view"),
    ("My actions", "discussions.my_actions", "case.view"),
    ("Missing", "missing.index", "case.view"),
    ("Differences", "differences.index", "difference.view"),
    ("Reports", "reports.index", "reports.view"),
    ("Notifications", "reminders.notifications", "notifications.view"),
    ("Admin", "admin.index", "admin.manage"),
]


def _menu_entries(user) -> tuple:
    """The menu's entries a person has: (text, endpoint, href, whether it is its feature's first entry, which the
    feature's pages without an entry of their own light up). What `can` allows depends only on the role and the
    agency's kind, so the entries are worked out once per app for each pair and address root, not on every page (a
    permission check and a URL built for each entry: about 0.4 ms)."""
    agency = user.agency
    key = (user.role, agency.kind if agency is not None else None, request.script_root)
    kept = current_app.extensions.setdefault("safeguarding.menu", {})
    entries = kept.get(key)
    if entries is None:
        items = [(text, ep) for text, ep, action in _MENU
                 if ep in current_app.view_functions and can(user, action)]
        # Pages without an entry of their own light up their feature's first entry (Discussions, not My actions).
        feature_entry: dict[str, str] = {}
        for _, ep in items:
            feature_entry.setdefault(ep.split(".")[0], ep)
        entries = kept[key] = tuple((text, ep, url_for(ep), feature_entry[ep.split(".")[0]] == ep)
                                    for text, ep in items)
    return entries


def _navigation() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    endpoint = request.endpoint or ""
    # The service name in the header leads home; the menu is for the work itself.
    entries = _menu_entries(current_user)
    own_entries = {ep for _, ep, _, _ in entries}
    result = []
    for text, ep, href, leads_feature in entries:
        active = endpoint == ep or (leads_feature and endpoint.startswith(ep.split(".")[0] + ".")
                                    and endpoint not in own_entries)
        item = {"text": text, "href": href, "active": active}
        badge = NAV_BADGES.get(ep)
        count = badge(current_user) if badge else 0
        if count:
            item["html"] = Markup('{} <span class="app-count">{}<span class="govuk-visually-hidden"> unread</span>'
                                  '</span>').format(escape(text), count)
        result.append(item)
    return result


#: a deadline this close is "due soon": the horizon of My work
DUE_SOON = timedelta(days=7)


def deadline_state(due: datetime, at: datetime | None = None) -> str:
    """The short state a deadline's tag shows; the time left is said beside it, never inside the tag."""
    at = at or now()
    if due <= at:
        return "Overdue"
    return "Due soon" if due - at <= DUE_SOON else "Not due yet"


def deadline_detail(due: datetime, at: datetime | None = None) -> str:
    """What is said beside the tag, so that they read "Overdue by 2 days 3 hours", or "Due soon", "due in 5 hours"."""
    at = at or now()
    return f"by {duration_words((at - due).total_seconds())}" if due <= at else time_left(due, at)


def verbatim(text) -> Markup:
    """Someone's words with their line breaks, escaped. Breaks become <br>, not `white-space: pre-wrap`: the GOV.UK
    macros indent what they are given, which pre-wrap would show as a blank first line and indented lines."""
    lines = str(text or "").replace("\r\n", "\n").split("\n")
    return Markup('<span class="app-verbatim-text">{}</span>').format(Markup("<br>").join(escape(x) for x in lines))


def _shown(part: dict) -> str:
    """A key's, value's or tag's `html` (trusted, as the macro's `| safe` trusts it) or else its `text`, escaped."""
    return str(part["html"]).strip() if part.get("html") else str(escape(part.get("text", "")))


def govuk_tag(params: dict) -> Markup:
    """GOV.UK's tag (`govukTag`, for every template), written as govuk-frontend-jinja's macro writes it for the
    `text`, `html` and `classes` the templates give it. The macro cost about 80 microseconds a call, most of it in
    importing and calling `govukAttributes` for attributes no tag here has; lists draw one or two a row, and a
    child's timeline one an entry (2 ms of its page)."""
    unknown = params.keys() - {"text", "html", "classes"}
    if unknown:
        raise ValueError(f"govukTag here draws text, html and classes only, not {sorted(unknown)}")
    # classed and _shown escape every part but `html`, which the macro trusts too
    return Markup(f'<strong class="{classed("govuk-tag", params.get("classes"))}">\n  {_shown(params)}\n</strong>')  # nosec B704


def govuk_summary_list(params: dict) -> Markup:
    """GOV.UK's summary list (`govukSummaryList`, for every template), written as govuk-frontend-jinja's macro writes
    it for what the templates give it: rows of a key and a value (`text` or `html`, each with `classes`), the list's
    and rows' `classes`, and rows left out when empty. Record pages draw several (a discussion four, of forty rows);
    the macro cost about 60 microseconds a row. Row actions and cards are not drawn here: asking for one fails, rather
    than dropping it. Written with f-strings over escaped parts: `Markup.format` escapes through a Python-level
    formatter, and took as long as the macro."""
    unknown = params.keys() - {"rows", "classes"}
    unknown |= {f"rows.{key}" for row in params["rows"] if row for key in row.keys() - {"key", "value", "classes"}}
    if unknown:
        raise ValueError(f"govukSummaryList here draws rows of keys and values only, not {sorted(unknown)}")

    def drawn(row: dict) -> str:
        key, value = row.get("key") or {}, row.get("value") or {}
        return (f'  <div class="{classed("govuk-summary-list__row", row.get("classes"))}">\n'
                f'    <dt class="{classed("govuk-summary-list__key", key.get("classes"))}">\n'
                f"      {_shown(key)}\n    </dt>\n"
                f'    <dd class="{classed("govuk-summary-list__value", value.get("classes"))}">\n'
                f"      {_shown(value)}\n    </dd>\n  </div>\n")

    rows = "".join(drawn(row) for row in params["rows"] if row)
    # classed and _shown escape every part but `html`, which the macro trusts too
    return Markup(f'<dl class="{classed("govuk-summary-list", params.get("classes"))}">\n{rows}</dl>')  # nosec B704


_ARROWS = {
    side: (f'<svg class="govuk-pagination__icon govuk-pagination__icon--{side}" xmlns="http://www.w3.org/2000/svg" '
           'height="13" width="15" aria-hidden="true" focusable="false" viewBox="0 0 15 13">\n'
           f'        <path d="{path}"></path>\n      </svg>')
    for side, path in (
        ("prev", "m6.5938-0.0078125-6.7266 6.7266 6.7441 6.4062 1.377-1.449-4.1856-3.9768h12.896v-2h-12.984l4.2931"
                 "-4.293-1.414-1.414z"),
        ("next", "m8.107-0.0078125-1.4136 1.414 4.2926 4.293h-12.986v2h12.896l-4.1855 3.9766 1.377 1.4492 6.7441"
                 "-6.4062-6.7246-6.7266z"))
}


def govuk_pagination(params: dict) -> Markup:
    """GOV.UK's pagination (`govukPagination`, for every template), written as govuk-frontend-jinja's macro writes
    it for what `_pagination.html` gives it: numbered pages (a number, a link, whether current) and links to the
    previous and next pages. Every list draws one; the macro took about a millisecond of each, most of it Jinja
    calling its inner macros and filters. Anything else it could be asked (ellipses, labels, block links) fails
    rather than being dropped."""
    unknown = params.keys() - {"items", "previous", "next"}
    unknown |= {f"items.{key}" for item in params.get("items") or () if item
                for key in item.keys() - {"number", "href", "current"}}
    unknown |= {f"{side}.{key}" for side in ("previous", "next") if params.get(side)
                for key in params[side].keys() - {"href"}}
    if unknown:
        raise ValueError(f"govukPagination here draws numbered pages and previous and next links only, not "
                         f"{sorted(unknown)}")

    def arrow_link(side: str) -> str:
        link = params.get("previous" if side == "prev" else "next")
        if not link or not link.get("href"):
            return ""
        title = ('<span class="govuk-pagination__link-title">\n        '
                 f'{"Previous" if side == "prev" else "Next"}<span class="govuk-visually-hidden"> page</span>\n'
                 "      </span>")
        inside = f"{_ARROWS[side]}\n      {title}" if side == "prev" else f"{title}\n      {_ARROWS[side]}"
        return (f'  <div class="govuk-pagination__{side}">\n'
                f'    <a class="govuk-link govuk-pagination__link" href="{escape(link["href"])}" rel="{side}">\n'
                f"      {inside}\n    </a>\n  </div>\n")

    def page(item: dict) -> str:
        number, current = escape(item["number"]), bool(item.get("current"))
        classes = "govuk-pagination__item govuk-pagination__item--current" if current else "govuk-pagination__item"
        marked = ' aria-current="page"' if current else ""
        return (f'    <li class="{classes}">\n'
                f'      <a class="govuk-link govuk-pagination__link" href="{escape(item["href"])}" '
                f'aria-label="Page {number}"{marked}>\n        {number}\n      </a>\n    </li>\n')

    pages = ""
    if "items" in params:
        pages = f'  <ul class="govuk-pagination__list">\n{"".join(page(i) for i in params["items"] if i)}  </ul>\n'
    # every part escaped but the arrows, which are the macro's own markup
    return Markup(f'<nav class="govuk-pagination" aria-label="Pagination">\n{arrow_link("prev")}{pages}'  # nosec B704
                  f'{arrow_link("next")}</nav>')


def indent(s, width: int | str = 4, first: bool = False, blank: bool = False):
    """Jinja's `indent` filter, with safe markup indented as a plain string and marked safe once. Jinja's own adds
    and joins `Markup` line by line, each step a Python-level call, and every GOV.UK macro indents what it nests:
    about a third of drawing a set of radios. The answer is the same: for markup, Jinja wraps the indent and the
    newline in `Markup` without escaping them, and every line it joins is already markup, so nothing is escaped on
    the way."""
    if isinstance(s, Markup):
        return Markup(do_indent(str(s), width, first, blank))  # nosec B704 (already markup; see above)
    return do_indent(s, width, first, blank)


class ImportOnceTemplate(jinja2.Template):
    """Every GOV.UK macro imports `govukAttributes` inside its body, so a page of tags and table cells imports it
    hundreds of times. Jinja then subtracts the importing template's global names from a `ChainMap`'s keys, one
    Python-level lookup per name, to see whether the cached module will do: about a tenth of a notifications page's
    time. The same test with C set arithmetic over the chain's dicts gives the same answer."""

    def _get_default_module(self, ctx=None):
        if (ctx is not None and self._module is not None and not self.environment.is_async
                and isinstance(self.globals, ChainMap) and not ctx.globals_keys.difference(*self.globals.maps)):
            return self._module
        return super()._get_default_module(ctx)


def register(app) -> None:
    # Before any template is loaded: the environment builds every template from this class.
    app.jinja_env.template_class = ImportOnceTemplate
    app.jinja_env.filters["indent"] = indent
    app.jinja_env.filters["verbatim"] = verbatim
    app.jinja_env.filters["london"] = london
    app.jinja_env.filters["london_date"] = london_date
    app.jinja_env.filters["time_left"] = time_left
    app.jinja_env.filters["deadline_state"] = deadline_state
    app.jinja_env.filters["deadline_detail"] = deadline_detail
    app.jinja_env.globals["can"] = lambda action: can(current_user, action)
    app.jinja_env.globals["govukTag"] = govuk_tag
    app.jinja_env.globals["govukSummaryList"] = govuk_summary_list
    app.jinja_env.globals["govukPagination"] = govuk_pagination
    from .children.nhs import formatted as nhs_formatted

    app.jinja_env.globals["nhs_formatted"] = nhs_formatted

    @app.context_processor
    def inject():
        # Context processors run for every template a request renders with render_template (the page's, an
        # email's): the navigation, with its unread counts, is worked out once per request. GOV.UK form widgets
        # are drawn without them (forms._DrawnDirectly).
        if "navigation" not in g:
            g.navigation = _navigation()
        return {
            "cspNonce": csp_nonce(),
            "navigation": g.navigation,
            "partnership_name": app.config.get("PARTNERSHIP_NAME"),
            "session_left": seconds_left(),
            "today": london_today(),
        }
