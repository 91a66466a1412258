"""index notifications by sent time: the reminder operations page counts what was emailed in the last 24 hours
instead of every notification ever sent

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-01 16:35:59.329518

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_sent_at', ['sent_at'], unique=False)


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_sent_at')
