"""the child and family assessment's due time, stored on the decision that holds each referral's clock and indexed,
so My work and the reminder sweep count and page it in SQL instead of deriving it for every open assessment; the
index of open assessments by decision time, which only that derivation read, goes

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-01 18:14:32.777421

"""
from itertools import groupby

from alembic import op
import sqlalchemy as sa
import safeguarding.types

from safeguarding.discussions.thresholds import ReferralDecision, assessment_clock_holder, assessment_due_at


# revision identifiers, used by Alembic.
revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None

_RUNNING = sa.text('assessment_due_at IS NOT NULL')
_OPEN = sa.text('assessment_completed_at IS NULL')


def upgrade():
    with op.batch_alter_table('threshold_decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assessment_due_at', safeguarding.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_index('ix_threshold_decision_assessment_open', postgresql_where=_OPEN, sqlite_where=_OPEN)
        batch_op.create_index('ix_threshold_decision_assessment_due', ['assessment_due_at'], unique=False,
                              postgresql_where=_RUNNING, sqlite_where=_RUNNING)
    _backfill_due_times()
    if op.get_bind().dialect.name == 'postgresql':
        # the planner's statistics for the new column, now rather than at autovacuum's next pass (the few rows
        # written are well under its threshold): without them it guesses how many clocks run, and the plans mislead
        op.execute('ANALYZE threshold_decision')


# Frozen as they are at this revision: the outcomes that start an assessment (section 17 or 47).
ASSESSMENT_OUTCOMES = ('s17', 's47_joint', 's47_single')
#: children per statement: each batch reads their open assessments and writes the holders' due times
CHILDREN_PER_BATCH = 5000


def _backfill_due_times():
    """The same rule as the services (thresholds.assessment_clock_holder), for the decisions already recorded: per
    child and referral, the earliest section 17 or 47 decision holds the clock unless the assessment is recorded as
    completed on any decision about that referral. Read a range of children at a time, so a large partnership is
    never held in memory at once."""
    decision = sa.table('threshold_decision', sa.column('id', sa.Integer), sa.column('child_id', sa.Integer),
                        sa.column('discussion_id', sa.Integer), sa.column('outcome', sa.String),
                        sa.column('decided_at', safeguarding.types.UTCDateTime(timezone=True)),
                        sa.column('assessment_completed_at', safeguarding.types.UTCDateTime(timezone=True)),
                        sa.column('assessment_due_at', safeguarding.types.UTCDateTime(timezone=True)))
    discussion = sa.table('strategy_discussion', sa.column('id', sa.Integer),
                          sa.column('referral_received_on', sa.Date))
    other, other_discussion = decision.alias('other'), discussion.alias('other_discussion')
    completed_elsewhere = (sa.select(other.c.id)
                           .join(other_discussion, other_discussion.c.id == other.c.discussion_id)
                           .where(other.c.child_id == decision.c.child_id,
                                  other.c.assessment_completed_at.is_not(None),
                                  other_discussion.c.referral_received_on == discussion.c.referral_received_on)
                           .exists())
    conn = op.get_bind()
    lowest, highest = conn.execute(sa.select(sa.func.min(decision.c.child_id), sa.func.max(decision.c.child_id))).one()
    if lowest is None:
        return
    write = (decision.update().where(decision.c.id == sa.bindparam('decision_id'))
             .values(assessment_due_at=sa.bindparam('due_at')))
    due_on = {}
    for start in range(lowest, highest + 1, CHILDREN_PER_BATCH):
        rows = conn.execute(
            sa.select(decision.c.id, decision.c.child_id, discussion.c.referral_received_on, decision.c.outcome,
                      decision.c.decided_at)
            .join(discussion, discussion.c.id == decision.c.discussion_id)
            .where(decision.c.child_id >= start, decision.c.child_id < start + CHILDREN_PER_BATCH,
                   decision.c.outcome.in_(ASSESSMENT_OUTCOMES), decision.c.assessment_completed_at.is_(None),
                   discussion.c.referral_received_on.is_not(None), ~completed_elsewhere)
            .order_by(decision.c.child_id, discussion.c.referral_received_on)).all()
        updates = []
        for (_, referral), group in groupby(rows, key=lambda r: (r.child_id, r.referral_received_on)):
            holder = assessment_clock_holder(ReferralDecision(r.id, r.outcome, r.decided_at, False) for r in group)
            if holder is None:
                continue
            if referral not in due_on:
                due_on[referral] = assessment_due_at(referral)
            updates.append({'decision_id': holder, 'due_at': due_on[referral]})
        if updates:
            conn.execute(write, updates)


def downgrade():
    with op.batch_alter_table('threshold_decision', schema=None) as batch_op:
        batch_op.drop_index('ix_threshold_decision_assessment_due', postgresql_where=_RUNNING,
                            sqlite_where=_RUNNING)
        batch_op.create_index('ix_threshold_decision_assessment_open', ['decided_at', 'id'], unique=False,
                              postgresql_where=_OPEN, sqlite_where=_OPEN)
        batch_op.drop_column('assessment_due_at')
