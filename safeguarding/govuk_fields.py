"""GOV.UK radios, text areas, text inputs and selects written in Python, as govuk-frontend-jinja's macros write them.

A record's page carries its forms (an interview's offer: two sets of radios and a text area; an episode's risk
grading), and each widget drawn through its macro took a millisecond or more: the macro nests the label, hint, error
message and fieldset macros, each importing and calling `govukAttributes`, and indents what each returns. These
write the same HTML for the parameters the app's forms give them (tests/test_govuk_components.py compares them with
the library's macros). Anything else, an item's hint or conditional reveal, a divider, a prefix, answers None: the
widget then draws it with the library's macro, as before.
"""
from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup, escape

_MISSING = object()


def govuk_attributes(attributes) -> str:
    """What the library's `govukAttributes` writes for `attributes`, without the white space it leaves inside the
    tag: a string as given; a mapping's names and values escaped; True and False as "true" and "false"; a value
    given as `{"value": ..., "optional": True}` left out when None, missing or False, and the bare name when True;
    `{"val": ...}` standing for its value."""
    if isinstance(attributes, str):
        return str(attributes)
    if not isinstance(attributes, Mapping) or not attributes:
        return ""
    drawn = []
    for name, value in attributes.items():
        if isinstance(value, Mapping) and "val" in value:
            value = value["val"]
        if isinstance(value, Mapping):
            given, optional = value.get("value", _MISSING), value.get("optional", _MISSING)
        else:
            given, optional = (str(value).lower() if isinstance(value, bool) else value), False
        if optional is True and given is True:
            drawn.append(f" {escape(name)}")
        elif optional is not True or (given is not _MISSING and given is not None and given is not False):
            drawn.append(f' {escape(name)}="{"" if given is _MISSING else escape(given)}"')
    return "".join(drawn)


def _only(params, allowed: set[str]) -> bool:
    return params is None or (isinstance(params, Mapping) and params.keys() <= allowed)


def _words(part: Mapping) -> str:
    """A label's, hint's, legend's or error's `html` (trusted, as the macros' `| safe` trusts it) or else its `text`,
    escaped; written as Jinja writes `{{ text }}` (None as "None", missing as nothing)."""
    if part.get("html"):
        return str(part["html"]).strip()
    return str(escape(part["text"])) if "text" in part else ""


def classed(base: str, classes) -> str:
    """A GOV.UK class with the classes a template adds, escaped (the form widgets here, and templating's tag and
    summary list)."""
    return f"{base} {escape(classes)}" if classes else base


def _label(label: Mapping, for_id: str, extra_class: str = "") -> str:
    if not (label.get("html") or label.get("text")):
        return ""
    classes = " ".join(c for c in (extra_class, label.get("classes") or "") if c)
    drawn = (f'<label class="{classed("govuk-label", classes)}"{govuk_attributes(label.get("attributes"))}'
             f' for="{escape(for_id)}">\n  {_words(label)}\n</label>')
    return f'<h1 class="govuk-label-wrapper">\n  {drawn}\n</h1>' if label.get("isPageHeading") else drawn


def _hint(hint: Mapping, hint_id: str) -> str:
    return (f'<div id="{escape(hint_id)}" class="{classed("govuk-hint", hint.get("classes"))}"'
            f'{govuk_attributes(hint.get("attributes"))}>\n  {_words(hint)}\n</div>')


def _error(error: Mapping, error_id: str) -> str:
    hidden = error.get("visuallyHiddenText", "Error")
    words = _words(error)
    inside = f'<span class="govuk-visually-hidden">{escape(hidden)}:</span> {words}' if hidden else words
    return (f'<p id="{escape(error_id)}" class="{classed("govuk-error-message", error.get("classes"))}"'
            f'{govuk_attributes(error.get("attributes"))}>\n  {inside}\n</p>')


def _described_and_told(params: Mapping, id_prefix: str, described_by: str) -> tuple[str, str]:
    """The hint and error message a field shows, and the ids its input is described by."""
    told, ids = [], [described_by] if described_by else []
    if params.get("hint"):
        told.append(_hint(params["hint"], f"{id_prefix}-hint"))
        ids.append(f"{id_prefix}-hint")
    if params.get("errorMessage"):
        told.append(_error(params["errorMessage"], f"{id_prefix}-error"))
        ids.append(f"{id_prefix}-error")
    return "\n".join(told), " ".join(ids)


def _form_group(params: Mapping, inside: str) -> str:
    group = params.get("formGroup") or {}
    classes = " ".join(c for c in ("govuk-form-group--error" if params.get("errorMessage") else "",
                                   str(escape(group.get("classes") or ""))) if c)
    return (f'<div class="{"govuk-form-group " + classes if classes else "govuk-form-group"}"'
            f'{govuk_attributes(group.get("attributes"))}>\n{inside}\n</div>')


_PART = {"text", "html", "classes", "attributes"}


def _parts_drawn(params: Mapping) -> bool:
    """Whether the label, hint, error message and form group asked for are ones the writers draw."""
    return (_only(params.get("label"), _PART | {"isPageHeading"}) and _only(params.get("hint"), _PART)
            and _only(params.get("errorMessage"), _PART | {"visuallyHiddenText"})
            and _only(params.get("formGroup"), {"classes", "attributes"}))


_RADIOS = {"name", "idPrefix", "items", "hint", "errorMessage", "fieldset", "classes", "attributes", "formGroup"}


def radios(params: Mapping) -> Markup | None:
    """GOV.UK radios in a fieldset, for items of text, value and checked; None for anything else."""
    fieldset = params.get("fieldset")
    if not (params.keys() <= _RADIOS and isinstance(fieldset, Mapping) and fieldset
            and fieldset.keys() <= {"legend", "classes", "describedBy", "attributes"}
            and _only(fieldset.get("legend"), {"text", "html", "classes", "isPageHeading"}) and _parts_drawn(params)
            and all(item is None or (isinstance(item, Mapping) and item.keys() <= {"text", "value", "checked"})
                    for item in params.get("items") or ())):
        return None
    id_prefix = params.get("idPrefix") or params["name"]
    told, described_by = _described_and_told(params, id_prefix, fieldset.get("describedBy") or "")
    drawn_items = []
    for index, item in enumerate(params.get("items") or (), start=1):
        if not item:
            continue
        item_id = f"{id_prefix}-{index}" if index > 1 else id_prefix
        checked = " checked" if item.get("checked") else ""
        drawn_items.append(
            f'<div class="govuk-radios__item">\n'
            f'  <input class="govuk-radios__input" id="{escape(item_id)}" name="{escape(params["name"])}" '
            f'type="radio" value="{escape(item["value"]) if "value" in item else ""}"{checked}>\n'
            f'  {_label({"text": item.get("text")}, item_id, "govuk-radios__label")}\n</div>')
    listed = "\n".join(drawn_items)
    inner = (f'{told}\n<div class="{classed("govuk-radios", params.get("classes"))}"'
             f'{govuk_attributes(params.get("attributes"))} data-module="govuk-radios">\n{listed}\n</div>')
    legend = fieldset.get("legend") or {}
    if legend.get("html") or legend.get("text"):
        words = (f'<h1 class="govuk-fieldset__heading">\n  {_words(legend)}\n</h1>' if legend.get("isPageHeading")
                 else _words(legend))
        legend_class = classed("govuk-fieldset__legend", legend.get("classes"))
        legend_drawn = f'<legend class="{legend_class}">\n{words}\n</legend>\n'
    else:
        legend_drawn = ""
    described = f' aria-describedby="{escape(described_by)}"' if described_by else ""
    drawn = (f'<fieldset class="{classed("govuk-fieldset", fieldset.get("classes"))}"{described}'
             f'{govuk_attributes(fieldset.get("attributes"))}>\n{legend_drawn}{inner}\n</fieldset>')
    # every part escaped but `html` the templates give, which the macros trust too
    return Markup(_form_group(params, drawn))  # nosec B704


_TEXTAREA = {"id", "name", "label", "hint", "errorMessage", "value", "rows", "classes", "attributes", "formGroup",
             "spellcheck", "autocomplete", "describedBy", "disabled"}


def textarea(params: Mapping) -> Markup | None:
    """A GOV.UK text area with its label, hint and error message; None for anything else (a character count, text
    before or after it)."""
    if not (params.keys() <= _TEXTAREA and _parts_drawn(params)):
        return None
    field_id = params.get("id") or params["name"]
    told, described_by = _described_and_told(params, field_id, params.get("describedBy") or "")
    classes = " ".join(c for c in ("govuk-textarea--error" if params.get("errorMessage") else "",
                                   str(escape(params.get("classes") or ""))) if c)
    extras = []
    if isinstance(params.get("spellcheck"), bool):
        extras.append(f' spellcheck="{str(params["spellcheck"]).lower()}"')
    if params.get("disabled"):
        extras.append(" disabled")
    if described_by:
        extras.append(f' aria-describedby="{escape(described_by)}"')
    if params.get("autocomplete"):
        extras.append(f' autocomplete="{escape(params["autocomplete"])}"')
    extras.append(govuk_attributes(params.get("attributes")))
    # as the macro writes `{{ params.value }}`: None is written "None" (the form's widgets give "" for no value)
    value = escape(params["value"]) if "value" in params else ""
    drawn = (f'{_label(params.get("label") or {}, field_id)}\n{told}\n'
             f'<textarea class="{"govuk-textarea " + classes if classes else "govuk-textarea"}" '
             f'id="{escape(field_id)}" name="{escape(params["name"])}" rows="{escape(params.get("rows") or 5)}"'
             f'{"".join(extras)}>{value}</textarea>')
    return Markup(_form_group(params, drawn))  # nosec B704


def _optional(params: Mapping, key: str, value=_MISSING) -> dict:
    """An attribute the input macro writes only when given (and not None or False), as `govukAttributes` does."""
    if value is _MISSING:
        value = params.get(key, _MISSING)
    return {"optional": True} if value is _MISSING else {"value": value, "optional": True}


_INPUT = {"id", "name", "label", "hint", "errorMessage", "value", "type", "classes", "attributes", "formGroup",
          "spellcheck", "autocomplete", "inputmode", "pattern", "autocapitalize", "describedBy", "disabled"}


def text_input(params: Mapping) -> Markup | None:
    """A GOV.UK text input with its label, hint and error message; None for anything else (a prefix or suffix,
    text before or after it)."""
    if not (params.keys() <= _INPUT and _parts_drawn(params) and params.get("spellcheck", False) in (True, False)):
        return None
    field_id = params.get("id") or params["name"]
    told, described_by = _described_and_told(params, field_id, params.get("describedBy") or "")
    classes = " ".join(c for c in ("govuk-input", params.get("classes") or "",
                                   "govuk-input--error" if params.get("errorMessage") else "") if c)
    spellcheck = params.get("spellcheck", _MISSING)
    element = govuk_attributes({
        "class": classes, "id": field_id, "name": params["name"], "type": params.get("type") or "text",
        "spellcheck": _optional(params, "spellcheck", str(spellcheck).lower() if spellcheck in (True, False)
                                else False),
        "value": _optional(params, "value"), "disabled": _optional(params, "disabled"),
        "aria-describedby": _optional(params, "describedBy", described_by or None),
        **{name: _optional(params, name) for name in ("autocomplete", "autocapitalize", "pattern", "inputmode")}})
    drawn = (f'{_label(params.get("label") or {}, field_id)}\n{told}\n'
             f'<input{element}{govuk_attributes(params.get("attributes"))}>')
    return Markup(_form_group(params, drawn))  # nosec B704


_SELECT = {"id", "name", "label", "hint", "errorMessage", "items", "classes", "attributes", "formGroup",
           "describedBy", "disabled"}


def select(params: Mapping) -> Markup | None:
    """A GOV.UK select of options (text, value, selected) with its label, hint and error message; None for anything
    else (a value to match, a disabled option, text before or after it)."""
    if not (params.keys() <= _SELECT and _parts_drawn(params)
            and all(item is None or (isinstance(item, Mapping) and item.keys() <= {"text", "value", "selected"})
                    for item in params.get("items") or ())):
        return None
    field_id = params.get("id") or params["name"]
    told, described_by = _described_and_told(params, field_id, params.get("describedBy") or "")
    classes = " ".join(c for c in ("govuk-select", str(escape(params.get("classes") or "")),
                                   "govuk-select--error" if params.get("errorMessage") else "") if c)
    options = []
    for item in params.get("items") or ():
        if not item:
            continue
        value = ""
        if "value" in item:
            shown = str(item["value"]).lower() if isinstance(item["value"], bool) else item["value"]
            value = f' value="{escape(shown)}"'
        options.append(f'<option{value}{" selected" if item.get("selected") else ""}>'
                       f'{escape(item["text"]) if "text" in item else ""}</option>')
    disabled = " disabled" if params.get("disabled") else ""
    described = f' aria-describedby="{escape(described_by)}"' if described_by else ""
    listed = "\n".join(options)
    drawn = (f'{_label(params.get("label") or {}, field_id)}\n{told}\n'
             f'<select class="{classes}" id="{escape(field_id)}" name="{escape(params["name"])}"{disabled}{described}'
             f'{govuk_attributes(params.get("attributes"))}>\n{listed}\n</select>')
    return Markup(_form_group(params, drawn))  # nosec B704
