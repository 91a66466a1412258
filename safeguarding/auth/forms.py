from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, InputRequired

from ..forms import GovPasswordInput, GovSubmitInput, GovTextInput, limit


class SignInForm(FlaskForm):
    email = StringField("Email address", widget=GovTextInput(),
                        validators=[DataRequired("Enter your email address"), limit("Email address", 254)])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[InputRequired("Enter your password"), limit("Password", 256)])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", widget=GovPasswordInput(),
                                     validators=[InputRequired("Enter your current password")])
    new_password = PasswordField("New password", widget=GovPasswordInput(),
                                 description="At least 12 characters. Three random words together work well.",
                                 validators=[InputRequired("Enter a new password")])
    confirm_password = PasswordField("Confirm new password", widget=GovPasswordInput(),
                                     validators=[InputRequired("Confirm your new password"),
                                                 EqualTo("new_password", "Passwords must match")])
    submit = SubmitField("Change password", widget=GovSubmitInput())
