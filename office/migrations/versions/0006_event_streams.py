"""event streams: acks counted per (station, stream); events carry their stream

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('event_streams',
    sa.Column('station', sa.String(length=40), nullable=False),
    sa.Column('stream', sa.String(length=32), nullable=False),
    sa.Column('acked_upto', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('station', 'stream', name=op.f('pk_event_streams'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stream', sa.String(length=32), nullable=False, server_default=''))
        batch_op.create_index('ix_events_station_stream_seq', ['station', 'stream', 'seq'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_station_stream_seq')
        batch_op.drop_column('stream')
    op.drop_table('event_streams')
