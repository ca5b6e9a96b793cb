"""compartments per station, from the station's compartment events

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('compartments',
    sa.Column('station', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('size', sa.String(length=1), nullable=True),
    sa.Column('case_no', sa.String(length=64), nullable=True),
    sa.Column('door', sa.String(length=8), nullable=True),
    sa.Column('attention', sa.Text(), nullable=True),
    sa.Column('since', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('door_seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('station', 'id', name=op.f('pk_compartments'))
    )


def downgrade() -> None:
    op.drop_table('compartments')
