"""children and missing record: one NHS number, one child; each adversity report its own entry; prompts carry a
version

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:09:46.456708

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
import safeguarding.types


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_child = sa.table("child", sa.column("id", sa.Integer), sa.column("nhs_number", sa.String))
_audit = sa.table("audit_event", sa.column("occurred_at", safeguarding.types.UTCDateTime),
                  sa.column("action", sa.String), sa.column("object_type", sa.String),
                  sa.column("object_id", sa.Integer), sa.column("changes", sa.JSON), sa.column("detail", sa.String))


def _set_aside_duplicate_nhs_numbers(conn) -> None:
    """The unique constraint cannot be added while two children share a number. The first record keeps it; each
    later one has it cleared, with an audit event naming the record it duplicates, so MASH can find and merge
    them. Nothing is deleted: which record is right is a person's decision, not a migration's."""
    duplicated = conn.execute(
        sa.select(_child.c.nhs_number).where(_child.c.nhs_number.is_not(None))
        .group_by(_child.c.nhs_number).having(sa.func.count() > 1)).scalars().all()
    for number in duplicated:
        first, *later = conn.execute(sa.select(_child.c.id).where(_child.c.nhs_number == number)
                                     .order_by(_child.c.id)).scalars().all()
        for child_id in later:
            conn.execute(_child.update().where(_child.c.id == child_id).values(nhs_number=None))
            conn.execute(_audit.insert().values(
                occurred_at=datetime.now(timezone.utc), action="update", object_type="child", object_id=child_id,
                changes={"nhs_number": {"changed": True}},
                detail=f"NHS number cleared when numbers became unique: also recorded for child {first}"))


def upgrade():
    conn = op.get_bind()
    # Spaces and dashes typed before normalisation would let "943 476 5919" and "9434765919" both stay.
    conn.execute(_child.update().where(_child.c.nhs_number.is_not(None)).values(
        nhs_number=sa.func.replace(sa.func.replace(_child.c.nhs_number, " ", ""), "-", "")))
    conn.execute(_child.update().where(_child.c.nhs_number == "").values(nhs_number=None))
    _set_aside_duplicate_nhs_numbers(conn)
    with op.batch_alter_table('child', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_child_nhs_number'))
        batch_op.create_unique_constraint(batch_op.f('uq_child_nhs_number'), ['nhs_number'])

    # A downgrade leaves the one-report-per-adversity constraint off (see downgrade), so only drop it if it is there.
    one_per_kind = 'uq_family_adversity_child_id_adversity' in {
        c['name'] for c in sa.inspect(conn).get_unique_constraints('family_adversity')}
    with op.batch_alter_table('family_adversity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_by_agency_id', sa.Integer(), nullable=True))
        if one_per_kind:
            batch_op.drop_constraint(batch_op.f('uq_family_adversity_child_id_adversity'), type_='unique')
        batch_op.create_foreign_key(batch_op.f('fk_family_adversity_recorded_by_agency_id_agency'), 'agency', ['recorded_by_agency_id'], ['id'])
    # Existing prompts start at version 1, as new ones do.
    with op.batch_alter_table('missing_discussion_prompt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    # Reports made before this column existed belong to the agency their author is in now: the best we know.
    op.execute("UPDATE family_adversity SET recorded_by_agency_id = (SELECT agency_id FROM user_account "
               "WHERE user_account.id = family_adversity.recorded_by_id) WHERE recorded_by_id IS NOT NULL")


def downgrade():
    with op.batch_alter_table('missing_discussion_prompt', schema=None) as batch_op:
        batch_op.drop_column('version')
    with op.batch_alter_table('family_adversity', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_family_adversity_recorded_by_agency_id_agency'), type_='foreignkey')
        batch_op.drop_column('recorded_by_agency_id')
    # Reports of the same adversity were appended to one note before: keep every report, so the old one-per-kind
    # constraint cannot come back without losing what people said.

    with op.batch_alter_table('child', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_child_nhs_number'), type_='unique')
        batch_op.create_index(batch_op.f('ix_child_nhs_number'), ['nhs_number'], unique=False)
