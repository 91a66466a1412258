"""Statuses and answers are CHECK constraints: a value the code does not know cannot be stored, whoever writes."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from safeguarding.auth.models import Role
from safeguarding.extensions import db


def test_every_status_column_the_models_constrain_refuses_an_unknown_value(app, make_user):
    user = make_user(Role.MASH, "csc")
    with pytest.raises(IntegrityError, match="(?i)check"):
        db.session.execute(text("UPDATE user_account SET role = 'superuser' WHERE id = :id"), {"id": user.id})
    db.session.rollback()
    constrained = [c for t in db.metadata.sorted_tables for c in t.constraints
                   if c.__class__.__name__ == "CheckConstraint" and str(c.name).endswith("_allowed")]
    assert {c.table.name for c in constrained} >= {"user_account", "agency", "child", "notification", "outbound_email",
                                                   "missing_episode", "return_interview", "professional_difference",
                                                   "strategy_discussion", "agreed_action", "discussion_invitation",
                                                   "threshold_decision"}
