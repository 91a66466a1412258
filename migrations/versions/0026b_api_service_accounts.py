"""API clients' service accounts are marked as such (not people: left off the users pages)

Revision ID: 0026b
Revises: 0026
Create Date: 2026-12-01 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026b'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_service_account', sa.Boolean(), nullable=False, server_default=sa.false()))
    # every API client made before this column is a service account
    op.execute("UPDATE user_account SET is_service_account = true WHERE id IN (SELECT service_user_id FROM api_client)")


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('is_service_account')
