"""The GOV.UK pieces drawn without their govuk-frontend-jinja macros (safeguarding/templating.py: govukTag and
govukSummaryList; safeguarding/forms.py: the form widgets drawn from their templates alone) say what the macros say,
and refuse what they do not draw rather than drop it; and the `indent` filter every macro nests with, rewritten for
speed, indents as Jinja's does."""
import copy
import re

import jinja2

import pytest
from flask_wtf import FlaskForm
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2.filters import do_indent
from govuk_frontend_wtf import wtforms_widgets as library
from markupsafe import Markup
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired

from safeguarding import forms as ours
from safeguarding import govuk_fields
from safeguarding.templating import govuk_pagination, govuk_summary_list, govuk_tag, indent


TEXT = st.text(alphabet=st.sampled_from(list("ab <>&\"'\n\r\t") + ["\u2028", "\x0b", "\x1c"]), max_size=40)


def _same_page(html) -> str:
    """HTML as a browser reads it: runs of white space are one space, and none between tags."""
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", str(html))).strip()


def _macro(app, path: str, name: str, params: dict) -> str:
    template = app.jinja_env.from_string(
        f'{{% from "govuk_frontend_jinja/components/{path}/macro.html" import {name} %}}{{{{ {name}(params) }}}}')
    return template.render(params=params)


TAGS = [
    {"text": "Overdue", "classes": "govuk-tag--red"},
    {"text": "Tom & <Jerry>"},
    {"html": "<em>Agency</em> absent ", "classes": "govuk-tag--orange"},
]

SUMMARY_LISTS = [
    {"rows": [{"key": {"text": "Date of birth"}, "value": {"text": "3 May 2015 (age 11)"}},
              {"key": {"text": "Address"}, "value": {"text": "1 <High> Street & Co"}}]},
    {"classes": "govuk-summary-list--no-border",
     "rows": [{"key": {"text": "Seen", "classes": "app-key"}, "value": {"html": "<a href='#x'>Yes</a>\n  ",
                                                                          "classes": "app-value"},
               "classes": "app-row"},
              None,
              {"key": {"html": "<strong>Voice</strong>"}, "value": {"text": ""}}]},
    {"rows": []},
]


@pytest.mark.parametrize("params", TAGS)
def test_a_tag_is_what_govuk_s_macro_draws(app, params):
    with app.test_request_context("/"):
        assert _same_page(govuk_tag(params)) == _same_page(_macro(app, "tag", "govukTag", params))


@pytest.mark.parametrize("params", SUMMARY_LISTS)
def test_a_summary_list_is_what_govuk_s_macro_draws(app, params):
    with app.test_request_context("/"):
        assert _same_page(govuk_summary_list(params)) == _same_page(
            _macro(app, "summary-list", "govukSummaryList", params))


PAGINATIONS = [
    {"items": [{"number": 1, "href": "/children/?page=1", "current": True},
               {"number": 2, "href": "/children/?page=2&q=<Amy>&x=\"y\"", "current": False}],
     "previous": None, "next": {"href": "/children/?page=2&q=<Amy>"}},
    {"items": [{"number": n, "href": f"/discussions/?view=all&page={n}", "current": n == 4} for n in (1, 2, 3, 4, 10)],
     "previous": {"href": "/discussions/?view=all&page=3"}, "next": {"href": "/discussions/?view=all&page=5"}},
    {"items": [None, {"number": 9, "href": "/notifications?page=9", "current": True}],
     "previous": {"href": "/notifications?page=8"}, "next": None},
    {"items": [], "previous": {"href": ""}, "next": None},
]


@pytest.mark.parametrize("params", PAGINATIONS)
def test_pagination_is_what_govuk_s_macro_draws(app, params):
    with app.test_request_context("/"):
        assert _same_page(govuk_pagination(params)) == _same_page(
            _macro(app, "pagination", "govukPagination", params))


def test_what_is_not_drawn_here_is_refused_not_dropped(app):
    with pytest.raises(ValueError, match="attributes"):
        govuk_tag({"text": "Open", "attributes": {"id": "status"}})
    with pytest.raises(ValueError, match="actions"):
        govuk_summary_list({"rows": [{"key": {"text": "Name"}, "value": {"text": "A"},
                                      "actions": {"items": [{"href": "/change", "text": "Change"}]}}]})
    with pytest.raises(ValueError, match="card"):
        govuk_summary_list({"card": {"title": {"text": "Child"}}, "rows": []})
    for asked in ({"landmarkLabel": "Timeline pages"}, {"next": {"href": "/x", "labelText": "Older entries"}},
                  {"items": [{"ellipsis": True}]}):
        with pytest.raises(ValueError):
            govuk_pagination(asked)


def test_every_template_uses_them(app):
    """The app's templates get the tag, the summary list and the pagination from the app's globals: a template
    importing GOV.UK's macro under the same name would quietly draw it the slow way again (one that needs what the
    app's does not draw imports it under another name)."""
    with app.test_request_context("/"):
        page = app.jinja_env.from_string("{{ govukTag({'text': 'x'}) }}{{ govukSummaryList({'rows': []}) }}"
                                         "{{ govukPagination({'items': []}) }}")
        assert page.render()
    for name in app.jinja_env.list_templates(filter_func=lambda n: not n.startswith("govuk_frontend")):
        source = app.jinja_loader.get_source(app.jinja_env, name)[0]
        assert not re.search(r"import[^%]*\b(govukTag|govukSummaryList|govukPagination)\b\s*(%|,)", source), name


class EveryWidget(FlaskForm):
    class Meta:
        csrf = False

    name = StringField("Name", widget=ours.GovTextInput(), validators=[InputRequired("Enter a name")])
    agency = SelectField("Agency", choices=[("", "Choose"), ("police", "Police & co")], widget=ours.GovSelect())
    note = TextAreaField("Note", widget=ours.GovTextArea())
    save = SubmitField("Save", widget=ours.GovSubmitInput())


def _same_html(html) -> str:
    """As a browser reads it (`_same_page`), and no white space before a tag's end, where the library's
    `govukAttributes` macro leaves some."""
    return re.sub(r"\s+>", ">", _same_page(html))


def test_form_widgets_drawn_from_their_templates_are_the_library_s(app):
    library_widgets = {"name": library.GovTextInput(), "agency": library.GovSelect(),
                       "note": library.GovTextArea(), "save": library.GovSubmitInput()}
    with app.test_request_context("/", method="POST", data={"agency": "police", "note": "<b>said</b>"}):
        form = EveryWidget()
        assert not form.validate()  # the name is missing: its error is drawn too
        for name, widget in library_widgets.items():
            field = form[name]
            assert _same_html(field()) == _same_html(widget(field)), name
        assert "Enter a name" in str(form.name()) and "&lt;b&gt;said&lt;/b&gt;" in str(form.note())


class Choosing(FlaskForm):
    class Meta:
        csrf = False

    level = RadioField("Risk <level>", choices=[("low", "Low & slow"), ("high", "High \"now\"")],
                       widget=ours.GovRadioInput(), validators=[InputRequired("Select the <level>")])
    said = TextAreaField("What they said", widget=ours.GovTextArea(), description="In their <words>",
                         validators=[InputRequired("Enter what they said")])
    where = StringField("Where <found>", widget=ours.GovTextInput(), validators=[InputRequired("Enter where")])
    agency = SelectField("Agency", choices=[("", "Choose one"), ("police", "Police & co"), ("health", "Health")],
                         widget=ours.GovSelect(), description="Who <shared>")


RADIOS = [
    None,
    {"fieldset": {"legend": {"text": "Risk", "classes": "govuk-fieldset__legend--s"}},
     "classes": "govuk-radios--small govuk-radios--inline"},
    {"fieldset": {"legend": {"text": "Risk", "isPageHeading": True, "classes": "govuk-fieldset__legend--l"},
                  "classes": "app-set"}, "idPrefix": "grading", "formGroup": {"classes": "app-group"}},
    {"fieldset": {"legend": {"html": "<b>Risk</b> now"}, "describedBy": "before"}, "hint": {"text": "One <only>"},
     "attributes": {"data-x": "1", "hidden": {"value": True, "optional": True}}},
    {"fieldset": {"legend": {"text": ""}}, "hint": {"html": "<em>Hint</em>", "classes": "app-hint"}},
    # not drawn in Python (an item's hint; a value to match): the library's template draws them, as before
    {"items": [{"hint": {"text": "Seen today"}}]},
    {"value": "high"},
]
TEXT_AREAS = [
    None,
    {"rows": 3},
    {"rows": 6, "attributes": {"data-vague-phrases": "fine|<ok>"}, "spellcheck": False,
     "label": {"classes": "govuk-label--s", "isPageHeading": True}},
    {"hint": {"text": "Type exactly what the child said"}, "autocomplete": "off", "classes": "govuk-!-width-one-half",
     "formGroup": {"classes": "app-group"}, "describedBy": "before", "spellcheck": True},
    {"label": {"html": "<b>Said</b>"}, "errorMessage": {"text": "Theirs", "visuallyHiddenText": ""}},
    {"formGroup": {"beforeInput": {"text": "Before"}}},  # not drawn in Python
]
TEXT_INPUTS = [
    None,
    {"classes": "govuk-input--width-5", "autocomplete": "off", "spellcheck": False},
    {"inputmode": "numeric", "pattern": "[0-9]*", "label": {"classes": "govuk-label--s", "isPageHeading": True},
     "hint": {"text": "For example, 14:30"}, "attributes": {"data-x": "<1>"}, "describedBy": "before"},
    {"type": "email", "autocapitalize": "none", "spellcheck": True, "formGroup": {"classes": "app-group"},
     "errorMessage": {"html": "<b>Wrong</b>"}},
    {"describedBy": "", "autocomplete": ""},  # as if not given
    {"prefix": {"text": "£"}},  # not drawn in Python
]
SELECTS = [
    None,
    {"classes": "govuk-!-width-one-third", "label": {"classes": "govuk-label--s"}},
    {"attributes": {"data-module": "app-filter"}, "describedBy": "before", "formGroup": {"classes": "app-group"}},
    {"items": [{"text": "Choose one", "value": "", "disabled": True}]},  # not drawn in Python
]


@pytest.mark.parametrize("data", [None, {}, {"level": "high", "said": "<b>Hello</b>\nthere & then",
                                           "where": "Under the <bridge> & \"park\"", "agency": "police"}],
                         ids=["shown", "refused", "typed"])
def test_widgets_drawn_in_python_are_the_library_s(app, data):
    """govuk_fields' radios, text areas, text inputs and selects write what the library's macros write, whatever
    the page asks of them; or, for what they do not draw, leave it to the macro."""
    with app.test_request_context("/", method="POST" if data is not None else "GET", data=data or {}):
        form = Choosing()
        if data is not None:
            form.validate()
        for field, widget, variants in ((form.level, library.GovRadioInput(), RADIOS),
                                        (form.said, library.GovTextArea(), TEXT_AREAS),
                                        (form.where, library.GovTextInput(), TEXT_INPUTS),
                                        (form.agency, library.GovSelect(), SELECTS)):
            for params in variants:
                asked = {"params": copy.deepcopy(params)} if params else {}
                theirs = widget(field, **({"params": copy.deepcopy(params)} if params else {}))
                assert _same_html(field(**asked)) == _same_html(theirs), (field.name, params)
        drawn = str(form.level()) + str(form.said()) + str(form.where()) + str(form.agency())
        assert ("Select the &lt;level&gt;" in drawn and "Enter what they said" in drawn) == (data == {})
        assert ("checked" in drawn and "&lt;b&gt;Hello&lt;/b&gt;\nthere &amp; then" in drawn
                and "Under the &lt;bridge&gt; &amp; &#34;park&#34;" in drawn and "selected" in drawn) == bool(data)


def test_widgets_are_drawn_in_python_for_what_the_forms_ask(app):
    with app.test_request_context("/"):
        form = Choosing()
        params = {"name": "level", "items": [{"text": "Low", "value": "low"}], "hint": {"text": ""},
                  "fieldset": {"legend": {"text": "Risk"}}}
        assert govuk_fields.radios(params) is not None
        with_hint = [{"text": "Low", "value": "low", "hint": {"text": "x"}}]
        assert govuk_fields.radios({**params, "items": with_hint}) is None
        assert govuk_fields.textarea({"id": "said", "name": "said", "label": {"text": "Said"}, "rows": 3}) is not None
        assert govuk_fields.textarea({"name": "said", "label": {"text": "Said"}, "maxlength": 10}) is None
        assert govuk_fields.text_input({"name": "where", "prefix": {"text": "£"}}) is None
        assert govuk_fields.select({"name": "agency", "items": [], "value": "police"}) is None
        assert govuk_fields.text_input({"name": "where", "label": {"text": "Where"}}) is not None
        assert govuk_fields.select({"name": "agency", "items": [{"text": "Police", "value": "p"}]}) is not None
        assert 'rows="5"' in str(form.said())


ATTRIBUTE_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2), TEXT, st.builds(Markup, TEXT),
    st.fixed_dictionaries({}, optional={"value": st.one_of(st.none(), st.booleans(), st.integers(0, 1), TEXT),
                                        "optional": st.one_of(st.booleans(), st.just("yes")),
                                        "val": st.one_of(st.none(), TEXT)}))


@settings(max_examples=300, deadline=None)
@given(attributes=st.one_of(st.none(), TEXT, st.dictionaries(TEXT, ATTRIBUTE_VALUES, max_size=4)))
def test_attributes_are_what_the_library_s_macro_writes(attributes):
    theirs = _LIBRARY.from_string('{% from "govuk_frontend_jinja/macros/attributes.html" import govukAttributes %}'
                                  "<x{{- govukAttributes(attributes) }}>").render(attributes=attributes)
    assert _same_html(f"<x{govuk_fields.govuk_attributes(attributes)}>") == _same_html(theirs)


#: the library's own templates, and nothing of the app's (its filters, its globals)
_LIBRARY = jinja2.Environment(loader=jinja2.PrefixLoader(
    {"govuk_frontend_jinja": jinja2.PackageLoader("govuk_frontend_jinja")}), autoescape=True)


@settings(max_examples=300, deadline=None)
@given(text=TEXT, width=st.one_of(st.integers(0, 8), st.sampled_from(["", "  ", "\t", "<b>", "&"])),
       first=st.booleans(), blank=st.booleans(), safe=st.booleans())
def test_the_indent_filter_indents_as_jinja_s_does(text, width, first, blank, safe):
    """The page's `indent` (every GOV.UK macro nests with it) gives Jinja's answer, to the character and to whether
    it is safe markup: for markup it was rewritten to work on the plain string; text that is not markup is Jinja's
    own, and is escaped where it is output, as before."""
    given_text = Markup(text) if safe else text
    theirs, mine = do_indent(given_text, width, first, blank), indent(given_text, width, first, blank)
    assert str(mine) == str(theirs)
    assert isinstance(mine, Markup) == isinstance(theirs, Markup)


def test_pages_indent_with_it(app):
    assert app.jinja_env.filters["indent"] is indent
    drawn = app.jinja_env.from_string("{{ x | indent(2) }}").render(x=Markup("<p>\n<b>&amp;</b></p>"))
    assert drawn == "<p>\n  <b>&amp;</b></p>"
    assert app.jinja_env.from_string("{{ x | indent(2) }}").render(x="<p>\n<b>") == "&lt;p&gt;\n  &lt;b&gt;"
