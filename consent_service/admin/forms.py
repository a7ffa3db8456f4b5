"""WTForms (Flask-WTF: every form carries the CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileSize
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, EqualTo, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from ..security import drop_userinfo

MAX_NOTICE_BYTES = 2 * 1024 * 1024
LANGUAGE_CHOICES = [SelectChoice("fi", "Finnish (fi)"), SelectChoice("sv", "Swedish (sv)"),
                    SelectChoice("en", "English (en)")]
ROLE_CHOICES = [SelectChoice("viewer", "Viewer: reads the log and statistics"),
                SelectChoice("editor", "Editor: also notices and policies"),
                SelectChoice("owner", "Owner: also keys, members and audit log")]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def split_lines(text: str | None) -> list[str]:
    """Entries separated by newlines or commas, blanks dropped."""
    return [p.strip() for p in (text or "").replace(",", "\n").splitlines() if p.strip()]


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1000)])
    new = PasswordField("New password (at least 10 characters)",
                        validators=[DataRequired(), Length(min=10, max=1000)])
    confirm = PasswordField("New password again", validators=[
        DataRequired(), EqualTo("new", message="The two new passwords differ")])


class SiteForm(FlaskForm):
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    domains = TextAreaField("Domains (one per line)", validators=[DataRequired()])
    allowed_origins = TextAreaField(
        "Allowed origins (one per line; empty = https:// + each domain)", validators=[Optional()])
    languages = MultiCheckboxField("Banner languages (the first is the fallback)",
                                   choices=LANGUAGE_CHOICES, default=["fi", "sv", "en"])
    privacy_url = URLField("Privacy notice URL", filters=[drop_userinfo],
                           validators=[Optional(), URL(require_tld=False), Length(max=2000)])


class ApiKeyForm(FlaskForm):
    name = StringField("Key name", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES[:2], default="editor")


class MemberForm(FlaskForm):
    email = EmailField("Email", validators=[
        DataRequired(), Length(max=320),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Not an email address")])
    role = SelectField("Role", choices=ROLE_CHOICES, default="viewer")


class NoticeForm(FlaskForm):
    text = TextAreaField("Paste the notice text", validators=[Optional()])
    file = FileField("…or upload a file (text or HTML, at most 2 MB)", validators=[
        FileSize(MAX_NOTICE_BYTES, message="The file is larger than 2 MB"),
        FileAllowed(["txt", "html", "htm", "md"], "Upload a .txt, .md or .html file"),
    ])
    source_url = URLField("Notice URL (stored with the notice; not fetched)",
                          filters=[drop_userinfo],
                          validators=[Optional(), URL(require_tld=False), Length(max=2000)])


class PublishForm(FlaskForm):
    confirm = BooleanField("I have reviewed the changes", validators=[DataRequired()])
