"""the links that let people see a child, kept as rows (child_link) so a practitioner's list checks each child with one
index probe (children/links.py), filled from the records

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-01 23:59:51.382057

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0043'
down_revision = '0042'
branch_labels = None
depends_on = None

#: what the records gave at this revision (children/links.py and each feature's access.py `_link_rows`), written
#: out so that a later change to those rules does not change what this migration did
BACKFILL = """
INSERT INTO child_link (child_id, via, agency_id, user_id)
SELECT dc.child_id, 'agency', i.agency_id, NULL FROM discussion_child dc
  JOIN discussion_invitation i ON i.discussion_id = dc.discussion_id WHERE i.status != 'not_invited'
UNION SELECT dc.child_id, 'person', NULL, a.owner_id FROM discussion_child dc
  JOIN agreed_action a ON a.discussion_id = dc.discussion_id
UNION SELECT dc.child_id, 'person', NULL, sd.chair_id FROM discussion_child dc
  JOIN strategy_discussion sd ON sd.id = dc.discussion_id WHERE sd.chair_id IS NOT NULL
UNION SELECT dc.child_id, 'person', NULL, sd.created_by_id FROM discussion_child dc
  JOIN strategy_discussion sd ON sd.id = dc.discussion_id WHERE sd.created_by_id IS NOT NULL
UNION SELECT child_id, 'agency', recorded_by_agency_id, NULL FROM missing_episode
UNION SELECT child_id, 'agency', recorded_by_agency_id, NULL FROM police_protection
UNION SELECT child_id, 'agency', recorded_by_agency_id, NULL FROM emergency_protection_order
UNION SELECT child_id, 'agency', recorded_by_agency_id, NULL FROM child_arrest
UNION SELECT child_id, 'person', NULL, assigned_to_id FROM return_interview WHERE assigned_to_id IS NOT NULL
UNION SELECT ri.child_id, 'person', NULL, o.offered_by_id FROM rhi_offer o
  JOIN return_interview ri ON ri.id = o.return_interview_id
UNION SELECT child_id, 'social_care', NULL, NULL FROM missing_episode
UNION SELECT child_id, 'social_care', NULL, NULL FROM police_protection
UNION SELECT child_id, 'social_care', NULL, NULL FROM child_arrest
UNION SELECT child_id, 'difference', NULL, raised_by_id FROM professional_difference
UNION SELECT d.child_id, 'difference', NULL, s.raising_lead_id FROM difference_stage s
  JOIN professional_difference d ON d.id = s.difference_id
UNION SELECT d.child_id, 'difference', NULL, s.responding_lead_id FROM difference_stage s
  JOIN professional_difference d ON d.id = s.difference_id
"""


def upgrade():
    op.create_table('child_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("via IN ('agency', 'difference', 'person', 'social_care')", name=op.f('ck_child_link_via_allowed')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_child_link_agency_id_agency')),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], name=op.f('fk_child_link_child_id_child'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_child_link_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_child_link'))
    )
    op.execute(BACKFILL)
    # after the rows: one sort, not an index grown row by row
    with op.batch_alter_table('child_link', schema=None) as batch_op:
        batch_op.create_index('ix_child_link_child', ['child_id', 'via', 'agency_id', 'user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('child_link', schema=None) as batch_op:
        batch_op.drop_index('ix_child_link_child')

    op.drop_table('child_link')
