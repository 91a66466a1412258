"""role requests: a case role for an administrator's account waits for a second administrator

Revision ID: 0031
Revises: 0025
Create Date: 2026-12-01 12:35:27.013740

"""
from alembic import op
import sqlalchemy as sa
import safeguarding.types


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('role_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('from_role', sa.String(length=20), nullable=False),
    sa.Column('from_agency_id', sa.Integer(), nullable=False),
    sa.Column('to_role', sa.String(length=20), nullable=False),
    sa.Column('to_agency_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', safeguarding.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', safeguarding.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('approved', 'pending', 'rejected')", name=op.f('ck_role_request_status_allowed')),
    sa.CheckConstraint("to_role IN ('admin', 'manager', 'mash', 'practitioner')", name=op.f('ck_role_request_to_role_allowed')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_role_request_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['from_agency_id'], ['agency.id'], name=op.f('fk_role_request_from_agency_id_agency')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_role_request_requested_by_id_user_account')),
    sa.ForeignKeyConstraint(['to_agency_id'], ['agency.id'], name=op.f('fk_role_request_to_agency_id_agency')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_role_request_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_request'))
    )
    with op.batch_alter_table('role_request', schema=None) as batch_op:
        batch_op.create_index('ix_role_request_user_status', ['user_id', 'status'], unique=False)



def downgrade():
    with op.batch_alter_table('role_request', schema=None) as batch_op:
        batch_op.drop_index('ix_role_request_user_status')

    op.drop_table('role_request')
