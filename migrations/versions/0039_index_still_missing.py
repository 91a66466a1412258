"""index the episodes of children still missing, latest first: the "Still missing" list reads a page of them in
order instead of sorting every open episode of the partnership

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-01 21:55:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None

STILL_MISSING = "returned_at IS NULL"


def upgrade():
    with op.batch_alter_table('missing_episode', schema=None) as batch_op:
        batch_op.create_index('ix_missing_episode_still_missing', ['reported_missing_at', 'id'], unique=False,
                              postgresql_where=sa.text(STILL_MISSING), sqlite_where=sa.text(STILL_MISSING))


def downgrade():
    with op.batch_alter_table('missing_episode', schema=None) as batch_op:
        batch_op.drop_index('ix_missing_episode_still_missing', postgresql_where=sa.text(STILL_MISSING),
                            sqlite_where=sa.text(STILL_MISSING))
