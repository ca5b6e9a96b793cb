"""office operations: reader/camera status per station, alarm assignment, office settings, pickups, reminders and recalls

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reader', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('camera', sa.String(length=16), nullable=True))
    with op.batch_alter_table('alarms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_to', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('assigned_at', sa.String(length=40), nullable=True))
    op.create_table('office_settings',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_office_settings'))
    )
    op.create_table('pickups',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('station', sa.String(length=40), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('compartment', sa.String(length=8), nullable=False),
    sa.Column('case_no', sa.String(length=64), nullable=True),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pickups')),
    sa.UniqueConstraint('station', 'event_id', name='uq_pickups_station_event_id')
    )
    op.create_index('ix_pickups_at', 'pickups', ['at'], unique=False)
    op.create_table('pickup_actions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('station', sa.String(length=40), nullable=False),
    sa.Column('compartment', sa.String(length=8), nullable=False),
    sa.Column('case_no', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pickup_actions'))
    )
    op.create_index('ix_pickup_actions_case_no', 'pickup_actions', ['case_no'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_pickup_actions_case_no', table_name='pickup_actions')
    op.drop_table('pickup_actions')
    op.drop_index('ix_pickups_at', table_name='pickups')
    op.drop_table('pickups')
    op.drop_table('office_settings')
    with op.batch_alter_table('alarms', schema=None) as batch_op:
        batch_op.drop_column('assigned_at')
        batch_op.drop_column('assigned_to')
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_column('camera')
        batch_op.drop_column('reader')
