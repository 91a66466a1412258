"""index open assessments: My work's assessment clocks read only the decisions whose assessment is still open

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01 13:15:42.088980

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

_OPEN = sa.text('assessment_completed_at IS NULL')


def upgrade():
    with op.batch_alter_table('threshold_decision', schema=None) as batch_op:
        batch_op.create_index('ix_threshold_decision_assessment_open', ['decided_at', 'id'], unique=False,
                              postgresql_where=_OPEN, sqlite_where=_OPEN)


def downgrade():
    with op.batch_alter_table('threshold_decision', schema=None) as batch_op:
        batch_op.drop_index('ix_threshold_decision_assessment_open')
