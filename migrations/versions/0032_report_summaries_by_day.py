"""report summaries by day: the reports' counts by London calendar day (report_day_count), the children discussed
by day (report_day_child), when each day was worked out (report_day_refreshed) and the refresh's state row; a
partial index for the reports' list of section 47 enquiries

Revision ID: 0032
Revises: 0029
Create Date: 2026-12-01 15:27:55.798011

"""
from alembic import op
import sqlalchemy as sa
import safeguarding.types


# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'report_day_count',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('figure', sa.String(length=40), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=60), nullable=False),
        sa.Column('counted', sa.Integer(), nullable=False),
        sa.Column('met', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'figure', 'agency_id', 'category', name=op.f('pk_report_day_count')))
    op.create_table(
        'report_day_refreshed',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('refreshed_at', safeguarding.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_report_day_refreshed')))
    op.create_table(
        'report_refresh_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('full_from', sa.Date(), nullable=True),
        sa.Column('full_at', safeguarding.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('recent_at', safeguarding.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('slice_started_at', safeguarding.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('slice_id', sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_refresh_state')))
    op.create_table(
        'report_day_child',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('child_id', sa.Integer(), nullable=False),
        sa.Column('section_47', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['child_id'], ['child.id'], name=op.f('fk_report_day_child_child_id_child'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('day', 'child_id', name=op.f('pk_report_day_child')))
    with op.batch_alter_table('report_day_child', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_day_child_child_id'), ['child_id'], unique=False)
    with op.batch_alter_table('threshold_decision', schema=None) as batch_op:
        batch_op.create_index('ix_threshold_decision_enquiry', ['discussion_id'], unique=False,
                              postgresql_where=sa.text("starts_enquiry IS TRUE AND icpc_status <> 'ended'"),
                              sqlite_where=sa.text("starts_enquiry = 1 AND icpc_status <> 'ended'"))


def downgrade():
    with op.batch_alter_table('threshold_decision', schema=None) as batch_op:
        batch_op.drop_index('ix_threshold_decision_enquiry')
    with op.batch_alter_table('report_day_child', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_day_child_child_id'))
    op.drop_table('report_day_child')
    op.drop_table('report_refresh_state')
    op.drop_table('report_day_refreshed')
    op.drop_table('report_day_count')
