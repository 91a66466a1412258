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
