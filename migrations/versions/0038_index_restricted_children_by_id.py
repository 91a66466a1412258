"""index restricted children by id, not the restricted flag: whether a page's children include a restricted one is
a probe per child shown, not a read of every restricted child

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-01 18:55:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('child', schema=None) as batch_op:
        batch_op.drop_index('ix_child_restricted')
        batch_op.create_index('ix_child_restricted_id', ['id'], unique=False,
                              postgresql_where=sa.text('restricted IS TRUE'), sqlite_where=sa.text('restricted = 1'))


def downgrade():
    with op.batch_alter_table('child', schema=None) as batch_op:
        batch_op.drop_index('ix_child_restricted_id', postgresql_where=sa.text('restricted IS TRUE'),
                            sqlite_where=sa.text('restricted = 1'))
        batch_op.create_index('ix_child_restricted', ['restricted'], unique=False)
