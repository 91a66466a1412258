"""index acknowledged notifications: the notifications page reads a page of the acknowledged ones from an index
instead of sorting the whole inbox

Revision ID: 0034
Revises: 0032
Create Date: 2026-12-01 15:27:11.096596

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0032'
branch_labels = None
depends_on = None

_ACKNOWLEDGED = sa.text('acknowledged_at IS NOT NULL')


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_acknowledged', ['recipient_id', 'created_at', 'id'], unique=False,
                              postgresql_where=_ACKNOWLEDGED, sqlite_where=_ACKNOWLEDGED)


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_acknowledged')
