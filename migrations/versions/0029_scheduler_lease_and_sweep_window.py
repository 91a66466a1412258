"""scheduler lease and sweep window: the reminder scheduler's lease row (one leader, works behind a
transaction-mode pooler) and the sweep's watermarks (a regular sweep reads only what became due since)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-01 12:31:18.346336

"""
from alembic import op
import sqlalchemy as sa
import safeguarding.types


# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scheduler_heartbeat', schema=None) as batch_op:
        batch_op.add_column(sa.Column('swept_until', safeguarding.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('caught_up_at', safeguarding.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('lease_holder', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('lease_expires_at', safeguarding.types.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('scheduler_heartbeat', schema=None) as batch_op:
        batch_op.drop_column('lease_expires_at')
        batch_op.drop_column('lease_holder')
        batch_op.drop_column('caught_up_at')
        batch_op.drop_column('swept_until')
