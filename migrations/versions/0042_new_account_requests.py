"""a new account an administrator creates waits for a second administrator's approval (role_request kind
new_account)

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-01 22:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0042'
down_revision = '0041'
branch_labels = None
depends_on = None

#: written out, not imported, so this revision stays what it was
KINDS_BEFORE = ['email', 'role', 'sign_in_codes']
KINDS_AFTER = ['email', 'new_account', 'role', 'sign_in_codes']


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table('role_request', schema=None) as batch_op:
        batch_op.drop_constraint('kind_allowed', type_='check')
        batch_op.create_check_constraint('kind_allowed', _in('kind', KINDS_AFTER))


def downgrade():
    # The older code knows nothing of approving new accounts; an account still waiting keeps its unusable password
    # and is sent a link by an administrator as before.
    op.execute("DELETE FROM role_request WHERE kind = 'new_account'")
    with op.batch_alter_table('role_request', schema=None) as batch_op:
        batch_op.drop_constraint('kind_allowed', type_='check')
        batch_op.create_check_constraint('kind_allowed', _in('kind', KINDS_BEFORE))
