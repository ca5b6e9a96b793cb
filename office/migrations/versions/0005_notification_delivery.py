"""notification delivery: attempts, last error, provider id, delivery time

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('provider_id', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sa.String(length=40), nullable=True))
        batch_op.create_index('ix_notifications_status', ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_status')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('provider_id')
        batch_op.drop_column('last_error')
        batch_op.drop_column('attempts')
