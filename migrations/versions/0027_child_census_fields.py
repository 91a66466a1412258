"""child census fields: ethnicity (the census's code), disability, and "refused" as a gender answer; indexes for
the practice-learning report (referral date, start of police protection)

Revision ID: 0027
Revises: 0026b
Create Date: 2026-12-01 12:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026b'
branch_labels = None
depends_on = None

#: written out, not imported, so this revision stays what it was
ETHNICITY_CODES = ['ABAN', 'AIND', 'AOTH', 'APKN', 'BAFR', 'BCRB', 'BOTH', 'CHNE', 'MOTH', 'MWAS', 'MWBA', 'MWBC',
                   'NOBT', 'OOTH', 'REFU', 'WBRI', 'WIRI', 'WIRT', 'WOTH', 'WROM']
DISABILITY = ['no', 'not_known', 'refused', 'yes']
GENDERS_BEFORE = ['female', 'male', 'other', 'unknown']
GENDERS_AFTER = ['female', 'male', 'other', 'refused', 'unknown']


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table('child', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ethnicity_code', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('disability_status', sa.String(length=10), nullable=True))
        batch_op.create_check_constraint('ethnicity_code_allowed', _in('ethnicity_code', ETHNICITY_CODES))
        batch_op.create_check_constraint('disability_status_allowed', _in('disability_status', DISABILITY))
        batch_op.drop_constraint('gender_allowed', type_='check')
        batch_op.create_check_constraint('gender_allowed', _in('gender', GENDERS_AFTER))
    with op.batch_alter_table('strategy_discussion', schema=None) as batch_op:
        batch_op.create_index('ix_strategy_discussion_referral', ['referral_received_on'], unique=False)
    with op.batch_alter_table('police_protection', schema=None) as batch_op:
        batch_op.create_index('ix_police_protection_started', ['started_at'], unique=False)


def downgrade():
    with op.batch_alter_table('police_protection', schema=None) as batch_op:
        batch_op.drop_index('ix_police_protection_started')
    with op.batch_alter_table('strategy_discussion', schema=None) as batch_op:
        batch_op.drop_index('ix_strategy_discussion_referral')
    op.execute("UPDATE child SET gender = 'unknown' WHERE gender = 'refused'")
    with op.batch_alter_table('child', schema=None) as batch_op:
        batch_op.drop_constraint('gender_allowed', type_='check')
        batch_op.create_check_constraint('gender_allowed', _in('gender', GENDERS_BEFORE))
        batch_op.drop_constraint('disability_status_allowed', type_='check')
        batch_op.drop_constraint('ethnicity_code_allowed', type_='check')
        batch_op.drop_column('disability_status')
        batch_op.drop_column('ethnicity_code')
