"""The one RuleError, with no dependencies, so pure rule modules (no Flask, no database) can raise the same class
that views catch through `safeguarding.service`."""
from __future__ import annotations


class RuleError(ValueError):
    """Input that the law, the process or the facts make impossible; the message is fit to show the user.

    `field` names the form field the message belongs beside (None: a summary error for the whole form).
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
