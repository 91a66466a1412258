"""The GOV.UK date input: an empty one is rendered once and kept; one with a value or an error never is, and both
say exactly what the GOV.UK macro says (safeguarding/forms.py, GovDateInput)."""
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput as LibraryDateInput
from werkzeug.datastructures import MultiDict

from safeguarding.forms import GovDateField, GovDateInput


class ReturnForm(FlaskForm):
    class Meta:
        csrf = False

    returned_on = GovDateField("Date the child returned")


def _library_html(field) -> str:
    return str(LibraryDateInput()(field))


def test_an_empty_date_input_is_the_macro_s_html_and_is_kept(app):
    with app.test_request_context("/"):
        GovDateInput._empty.clear()
        form = ReturnForm(formdata=None)
        first = str(form.returned_on())
        assert first == _library_html(form.returned_on)
        assert 'name="returned_on"' in first and "govuk-date-input" in first
        assert len(GovDateInput._empty) == 1
        assert str(ReturnForm(formdata=None).returned_on()) == first
        assert len(GovDateInput._empty) == 1


def test_a_typed_date_or_an_error_is_rendered_afresh_and_never_kept(app):
    with app.test_request_context("/", method="POST"):
        GovDateInput._empty.clear()
        typed = ReturnForm(formdata=MultiDict([("returned_on", "3"), ("returned_on", "11"), ("returned_on", "2026")]))
        html = str(typed.returned_on())
        assert 'value="3"' in html and 'value="2026"' in html and html == _library_html(typed.returned_on)
        wrong = ReturnForm(formdata=MultiDict([("returned_on", "31"), ("returned_on", "2"), ("returned_on", "")]))
        wrong.validate()
        error = str(wrong.returned_on())
        assert "must include a year" in error and error == _library_html(wrong.returned_on)
        assert GovDateInput._empty == {}
