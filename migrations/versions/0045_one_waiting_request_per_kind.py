"""one change of each kind waiting per account (uq_role_request_waiting): two administrators asking for a change to
the same account at the same moment made two pending requests

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-02 05:40:00

"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0045'
down_revision = '0044'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    # Two requests already waiting for one account and kind can only have come from that race: the later one is
    # the one the service would have kept (it lapses earlier ones when asked again), so the earlier ones lapse now,
    # written down as the app writes a lapse (when: the end of its 7 days, or now if sooner), with an audit event.
    doubles = bind.execute(sa.text("""
        SELECT r.id, r.user_id, r.kind, r.requested_at FROM role_request r
        WHERE r.status = 'pending' AND EXISTS (
            SELECT 1 FROM role_request later WHERE later.user_id = r.user_id AND later.kind = r.kind
              AND later.status = 'pending' AND later.id > r.id)
        ORDER BY r.id""").columns(requested_at=sa.DateTime(timezone=True))).all()
    prefix = {"role": "role_change", "email": "email_change", "sign_in_codes": "sign_in_codes_reset",
              "new_account": "new_account"}
    moment = datetime.now(timezone.utc)

    def stored(value):
        # SQLite keeps naive UTC (as safeguarding/types.py's UTCDateTime writes it); PostgreSQL an instant
        return value.astimezone(timezone.utc).replace(tzinfo=None) if sqlite else value

    for request_id, user_id, kind, requested_at in doubles:
        requested_at = requested_at if requested_at.tzinfo else requested_at.replace(tzinfo=timezone.utc)
        lapsed_at = min(requested_at + timedelta(days=7), moment)
        bind.execute(sa.text("UPDATE role_request SET status = 'lapsed', decided_at = :at, version = version + 1 "
                             "WHERE id = :id"), {"id": request_id, "at": stored(lapsed_at)})
        bind.execute(sa.text(
            "INSERT INTO audit_event (occurred_at, user_id, action, object_type, object_id, detail) "
            "VALUES (:at, NULL, :action, 'user', :user_id, :detail)"),
            {"at": stored(moment), "action": f"{prefix.get(kind, kind)}_lapsed", "user_id": user_id,
             "detail": f"Request {request_id}: a later request of the same kind was waiting too (upgrade 0045)"})
    with op.batch_alter_table("role_request") as batch:
        batch.create_index("uq_role_request_waiting", ["user_id", "kind"], unique=True,
                           postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))


def downgrade():
    with op.batch_alter_table("role_request") as batch:
        batch.drop_index("uq_role_request_waiting")
