"""API clients (a token per system, stored hashed, scoped, expiring, revocable), the idempotency keys of their POSTs,
and webhooks (subscriptions, events written with the change, deliveries with back-off)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 12:53:13.956062

"""
from alembic import op
import sqlalchemy as sa
import safeguarding.types


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_webhook_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', safeguarding.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fanned_out', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_webhook_event')),
    sa.UniqueConstraint('key', name=op.f('uq_api_webhook_event_key'))
    )
    with op.batch_alter_table('api_webhook_event', schema=None) as batch_op:
        batch_op.create_index('ix_api_webhook_event_pending', ['fanned_out', 'id'], unique=False)

    op.create_table('api_client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('service_user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('token_hint', sa.String(length=20), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('expires_at', safeguarding.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', safeguarding.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('requests_per_minute', sa.Integer(), nullable=False),
    sa.Column('created_at', safeguarding.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', safeguarding.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_api_client_agency_id_agency')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_api_client_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user_account.id'], name=op.f('fk_api_client_revoked_by_id_user_account')),
    sa.ForeignKeyConstraint(['service_user_id'], ['user_account.id'], name=op.f('fk_api_client_service_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_client')),
    sa.UniqueConstraint('service_user_id', name=op.f('uq_api_client_service_user_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_client_token_hash'))
    )
    with op.batch_alter_table('api_client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_client_agency_id'), ['agency_id'], unique=False)

    op.create_table('api_idempotency_key',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('result_kind', sa.String(length=40), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=True),
    sa.Column('created_at', safeguarding.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], name=op.f('fk_api_idempotency_key_client_id_api_client')),
    sa.PrimaryKeyConstraint('client_id', 'key', name=op.f('pk_api_idempotency_key'))
    )
    with op.batch_alter_table('api_idempotency_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_idempotency_key_created_at'), ['created_at'], unique=False)

    op.create_table('api_webhook_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', safeguarding.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], name=op.f('fk_api_webhook_subscription_client_id_api_client')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_webhook_subscription'))
    )
    with op.batch_alter_table('api_webhook_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_webhook_subscription_client_id'), ['client_id'], unique=False)

    op.create_table('api_webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', safeguarding.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('created_at', safeguarding.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', safeguarding.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['api_webhook_event.id'], name=op.f('fk_api_webhook_delivery_event_id_api_webhook_event')),
    sa.ForeignKeyConstraint(['subscription_id'], ['api_webhook_subscription.id'], name=op.f('fk_api_webhook_delivery_subscription_id_api_webhook_subscription')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_webhook_delivery')),
    sa.UniqueConstraint('subscription_id', 'event_id', name='uq_api_webhook_delivery_once'),
    sa.CheckConstraint("state IN ('failed', 'pending', 'sent', 'withheld')",
                       name=op.f('ck_api_webhook_delivery_state_allowed'))
    )
    with op.batch_alter_table('api_webhook_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_api_webhook_delivery_due', ['state', 'next_attempt_at'], unique=False)



def downgrade():
    with op.batch_alter_table('api_webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_api_webhook_delivery_due')

    op.drop_table('api_webhook_delivery')
    with op.batch_alter_table('api_webhook_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_webhook_subscription_client_id'))

    op.drop_table('api_webhook_subscription')
    with op.batch_alter_table('api_idempotency_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_idempotency_key_created_at'))

    op.drop_table('api_idempotency_key')
    with op.batch_alter_table('api_client', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_client_agency_id'))

    op.drop_table('api_client')
    with op.batch_alter_table('api_webhook_event', schema=None) as batch_op:
        batch_op.drop_index('ix_api_webhook_event_pending')

    op.drop_table('api_webhook_event')
