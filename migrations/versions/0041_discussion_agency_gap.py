"""flag the discussions with a decision made while a minimum agency was absent, and index them in date order: the
reports list them without probing every discussion of the period for such a decision

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-01 22:20:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0041'
down_revision = '0040'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('strategy_discussion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('has_agency_gap', sa.Boolean(), server_default=sa.text('false'),
                                      nullable=False))
    op.execute("UPDATE strategy_discussion SET has_agency_gap = true WHERE id IN "
               "(SELECT discussion_id FROM threshold_decision WHERE agencies_absent <> '')")
    with op.batch_alter_table('strategy_discussion', schema=None) as batch_op:
        batch_op.create_index('ix_strategy_discussion_agency_gap', ['scheduled_at', 'id'], unique=False,
                              postgresql_where=sa.text('has_agency_gap IS TRUE'),
                              sqlite_where=sa.text('has_agency_gap = 1'))


def downgrade():
    with op.batch_alter_table('strategy_discussion', schema=None) as batch_op:
        batch_op.drop_index('ix_strategy_discussion_agency_gap', postgresql_where=sa.text('has_agency_gap IS TRUE'),
                            sqlite_where=sa.text('has_agency_gap = 1'))
        batch_op.drop_column('has_agency_gap')
