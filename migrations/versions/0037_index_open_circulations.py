"""index the records waiting to be circulated in due order, and by chair: MASH's My work and "records waiting" page
read a page of them and count them without sorting the partnership's whole backlog, and a chair's are counted
without the 50,000 discussions a heavy chair has chaired

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-01 18:45:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None

OPEN = "minutes_status IN ('draft', 'agreed') AND status IN ('convened', 'decided')"


def upgrade():
    with op.batch_alter_table('strategy_discussion', schema=None) as batch_op:
        batch_op.create_index('ix_strategy_discussion_circulation_open', ['circulation_due_at', 'id'], unique=False,
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
        batch_op.create_index('ix_strategy_discussion_chair_circulation_open', ['chair_id', 'circulation_due_at'],
                              unique=False, postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade():
    with op.batch_alter_table('strategy_discussion', schema=None) as batch_op:
        batch_op.drop_index('ix_strategy_discussion_chair_circulation_open', postgresql_where=sa.text(OPEN),
                            sqlite_where=sa.text(OPEN))
        batch_op.drop_index('ix_strategy_discussion_circulation_open', postgresql_where=sa.text(OPEN),
                            sqlite_where=sa.text(OPEN))
