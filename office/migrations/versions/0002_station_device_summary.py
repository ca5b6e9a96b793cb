"""station device summary columns (paper, boards) for the stations page

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paper', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('boards', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_column('boards')
        batch_op.drop_column('paper')
