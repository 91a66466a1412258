"""account change requests: besides a case role for an administrator, a new email address or a reset of sign-in
codes for someone with a case role waits for a second administrator; a request nobody decides lapses

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-01 21:25:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0040'
down_revision = '0039'
branch_labels = None
depends_on = None

#: written out, not imported, so this revision stays what it was
KINDS = ['email', 'role', 'sign_in_codes']
STATUSES_BEFORE = ['approved', 'pending', 'rejected']
STATUSES_AFTER = ['approved', 'lapsed', 'pending', 'rejected']


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table('role_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='role', nullable=False))
        batch_op.add_column(sa.Column('from_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('to_email', sa.String(length=254), nullable=True))
        batch_op.create_check_constraint('kind_allowed', _in('kind', KINDS))
        batch_op.drop_constraint('status_allowed', type_='check')
        batch_op.create_check_constraint('status_allowed', _in('status', STATUSES_AFTER))


def downgrade():
    # Requests of the new kinds mean nothing to the older code; lapsed ones were never decided.
    op.execute("DELETE FROM role_request WHERE kind <> 'role'")
    op.execute("UPDATE role_request SET status = 'rejected' WHERE status = 'lapsed'")
    with op.batch_alter_table('role_request', schema=None) as batch_op:
        batch_op.drop_constraint('status_allowed', type_='check')
        batch_op.create_check_constraint('status_allowed', _in('status', STATUSES_BEFORE))
        batch_op.drop_constraint('kind_allowed', type_='check')
        batch_op.drop_column('to_email')
        batch_op.drop_column('from_email')
        batch_op.drop_column('kind')
