"""Who looked at or changed a child's record: the question a manager must be able to answer (NCSC principle 13)."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import and_, or_
from sqlalchemy.orm import joinedload

from ..auth.access import require, visible_child_or_404
from ..auth.models import User
from ..extensions import db
from ..pagination import paginate
from .models import AuditEvent, AuditEventChild

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/children/<int:child_id>")
@require("audit.view_child")
def child_access(child_id: int):
    child = visible_child_or_404(child_id)
    query = (
        db.select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .options(joinedload(User.agency))
        .where(or_(and_(AuditEvent.object_type == "child", AuditEvent.object_id == child.id),
                   AuditEvent.id.in_(db.select(AuditEventChild.event_id).where(AuditEventChild.child_id == child.id))))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
    page = paginate(query, request.args.get("page", 1), per_page=50, scalars=False)
    return render_template("audit/child_access.html", child=child, page=page)
