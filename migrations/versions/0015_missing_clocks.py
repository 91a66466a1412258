"""missing clocks: police protection breaches, EPO periods and extensions, arrests

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 10:46:14.559030

"""
from datetime import timedelta
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa
import safeguarding.types


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


_epo = sa.table('emergency_protection_order', sa.column('id', sa.Integer()),
                sa.column('expires_at', safeguarding.types.UTCDateTime(timezone=True)),
                sa.column('extended_from', safeguarding.types.UTCDateTime(timezone=True)),
                sa.column('extended_at', safeguarding.types.UTCDateTime(timezone=True)),
                sa.column('extension_days', sa.Integer()))
_LONDON = ZoneInfo('Europe/London')


def _wall_clock_days(instant, days):
    # orders ran in wall-clock days (rules.epo_expires_at), so an extension is undone the same way
    local = instant.astimezone(_LONDON).replace(tzinfo=None) + timedelta(days=days)
    return local.replace(tzinfo=_LONDON)


def upgrade():
    op.create_table('child_arrest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('arrested_at', safeguarding.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('exploitation', sa.String(length=10), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=True),
    sa.Column('police_reference', sa.String(length=50), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by_agency_id', sa.Integer(), nullable=False),
    sa.Column('created_at', safeguarding.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], name=op.f('fk_child_arrest_child_id_child')),
    sa.ForeignKeyConstraint(['episode_id'], ['missing_episode.id'],
                            name=op.f('fk_child_arrest_episode_id_missing_episode')),
    sa.ForeignKeyConstraint(['recorded_by_agency_id'], ['agency.id'],
                            name=op.f('fk_child_arrest_recorded_by_agency_id_agency')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'],
                            name=op.f('fk_child_arrest_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_child_arrest'))
    )
    with op.batch_alter_table('child_arrest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_child_arrest_arrested_at'), ['arrested_at'], unique=False)
        batch_op.create_index('ix_child_arrest_child_arrested', ['child_id', 'arrested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_child_arrest_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_child_arrest_recorded_by_agency_id'), ['recorded_by_agency_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_child_arrest_recorded_by_id'), ['recorded_by_id'], unique=False)

    with op.batch_alter_table('emergency_protection_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('police_protection_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('extended_from', safeguarding.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_emergency_protection_order_police_protection_id'),
                              ['police_protection_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_emergency_protection_order_police_protection_id_police_protection'),
                                    'police_protection', ['police_protection_id'], ['id'])

    # an extension was stored as a number of days added to the 8; the end it extended is what the rules now need
    bind = op.get_bind()
    for row in bind.execute(sa.select(_epo.c.id, _epo.c.expires_at, _epo.c.extension_days)
                            .where(_epo.c.extension_days > 0)).all():
        bind.execute(_epo.update().where(_epo.c.id == row.id)
                     .values(extended_from=_wall_clock_days(row.expires_at, -row.extension_days)))

    with op.batch_alter_table('emergency_protection_order', schema=None) as batch_op:
        batch_op.drop_column('extension_days')

    with op.batch_alter_table('police_protection', schema=None) as batch_op:
        # an end after 72 hours was refused until now, so no existing row is a recorded breach
        batch_op.add_column(sa.Column('breached', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('breach_reason', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('police_protection', schema=None) as batch_op:
        batch_op.drop_column('breach_reason')
        batch_op.drop_column('breached')

    with op.batch_alter_table('emergency_protection_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extension_days', sa.INTEGER(), nullable=False, server_default='0'))

    bind = op.get_bind()
    for row in bind.execute(sa.select(_epo.c.id, _epo.c.expires_at, _epo.c.extended_from)
                            .where(_epo.c.extended_from.is_not(None))).all():
        bind.execute(_epo.update().where(_epo.c.id == row.id)
                     .values(extension_days=max(0, (row.expires_at - row.extended_from).days)))

    with op.batch_alter_table('emergency_protection_order', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_emergency_protection_order_police_protection_id_police_protection'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_emergency_protection_order_police_protection_id'))
        batch_op.drop_column('extended_from')
        batch_op.drop_column('police_protection_id')

    with op.batch_alter_table('child_arrest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_child_arrest_recorded_by_id'))
        batch_op.drop_index(batch_op.f('ix_child_arrest_recorded_by_agency_id'))
        batch_op.drop_index(batch_op.f('ix_child_arrest_episode_id'))
        batch_op.drop_index('ix_child_arrest_child_arrested')
        batch_op.drop_index(batch_op.f('ix_child_arrest_arrested_at'))

    op.drop_table('child_arrest')
