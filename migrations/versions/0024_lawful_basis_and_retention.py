"""lawful basis and retention

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-01 11:20:09.619511

"""
from alembic import op
import sqlalchemy as sa
import safeguarding.types


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0022'
branch_labels = None
depends_on = None

#: written out, not imported from lawful_basis.py, so this revision stays what it was
LAWFUL_BASES = ['consent', 'criminal_offence', 'legal_obligation', 'public_task', 'safeguarding', 'social_protection']


def upgrade():
    op.create_table('retention_schedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('child_protection_age', sa.Integer(), nullable=False),
    sa.Column('missing_age', sa.Integer(), nullable=False),
    sa.Column('no_birth_date_years', sa.Integer(), nullable=False),
    sa.Column('audit_years_after', sa.Integer(), nullable=False),
    sa.Column('apply_enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', safeguarding.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_retention_schedule_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_schedule'))
    )
    op.create_table('legal_hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('set_at', safeguarding.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=False),
    sa.Column('released_at', safeguarding.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('released_by_id', sa.Integer(), nullable=True),
    sa.Column('release_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], name=op.f('fk_legal_hold_child_id_child')),
    sa.ForeignKeyConstraint(['released_by_id'], ['user_account.id'], name=op.f('fk_legal_hold_released_by_id_user_account')),
    sa.ForeignKeyConstraint(['set_by_id'], ['user_account.id'], name=op.f('fk_legal_hold_set_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_hold'))
    )
    with op.batch_alter_table('legal_hold', schema=None) as batch_op:
        batch_op.create_index('ix_legal_hold_child_open', ['child_id', 'released_at'], unique=False)

    op.create_table('retention_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_at', safeguarding.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], name=op.f('fk_retention_action_child_id_child')),
    sa.ForeignKeyConstraint(['done_by_id'], ['user_account.id'], name=op.f('fk_retention_action_done_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_action')),
    sa.UniqueConstraint('child_id', name=op.f('uq_retention_action_child_id'))
    )
    with op.batch_alter_table('discussion_information', schema=None) as batch_op:
        # Entries made before the question was asked keep an empty basis: nobody may invent one for them.
        batch_op.add_column(sa.Column('lawful_basis', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('nothing_held', sa.Boolean(), nullable=False, server_default=sa.false()))
    quoted = ", ".join(f"'{v}'" for v in LAWFUL_BASES)
    with op.batch_alter_table('discussion_information', schema=None) as batch_op:
        batch_op.alter_column('nothing_held', server_default=None)
        batch_op.create_check_constraint('lawful_basis_allowed', f'lawful_basis IN ({quoted})')


def downgrade():
    with op.batch_alter_table('discussion_information', schema=None) as batch_op:
        batch_op.drop_constraint('lawful_basis_allowed', type_='check')
        batch_op.drop_column('nothing_held')
        batch_op.drop_column('lawful_basis')

    op.drop_table('retention_action')
    with op.batch_alter_table('legal_hold', schema=None) as batch_op:
        batch_op.drop_index('ix_legal_hold_child_open')

    op.drop_table('legal_hold')
    op.drop_table('retention_schedule')
