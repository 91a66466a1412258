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


class SetPasswordForm(FlaskForm):
    new_password = PasswordField("Password", widget=GovPasswordInput(),
                                 description="At least 12 characters. Three random words together work well.",
                                 validators=[InputRequired("Enter a password")])
    confirm_password = PasswordField("Confirm password", widget=GovPasswordInput(),
                                     validators=[InputRequired("Confirm your password"),
                                                 EqualTo("new_password", "Passwords must match")])
    submit = SubmitField("Set password", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    code = StringField("Code", widget=GovTextInput(),
                       description="The 6-digit code your authenticator app shows now, or one of your recovery codes",
                       validators=[DataRequired("Enter the code from your authenticator app"), limit("Code", 40)])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class SetUpCodeForm(FlaskForm):
    code = StringField("Code from the app", widget=GovTextInput(),
                       description="The 6-digit code the app shows after you added this service",
                       validators=[DataRequired("Enter the 6-digit code from your authenticator app"),
                                   limit("Code", 20)])
    submit = SubmitField("Turn on sign-in codes", widget=GovSubmitInput())
