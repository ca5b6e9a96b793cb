"""cases: statutory deadline, longer status names (material_requested); payment refunds;
e-certificates per applicant; status queries served to stations

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16), type_=sa.String(length=32),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('statutory_date', sa.String(length=10), nullable=True))
    with op.batch_alter_table('case_timeline', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16), type_=sa.String(length=32),
                              existing_nullable=False)
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('station', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('refunded_at', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('refund_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('provider_ref', sa.String(length=80), nullable=True))
        batch_op.create_index('ix_payments_status', ['status'], unique=False)
    op.create_table('ecertificates',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=60), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('number_masked', sa.String(length=40), nullable=False),
    sa.Column('issuer_zh', sa.String(length=60), nullable=False),
    sa.Column('valid_until', sa.String(length=10), nullable=True),
    sa.Column('media_type', sa.String(length=80), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('added_at', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ecertificates')),
    sa.UniqueConstraint('id_hash', 'type', name='uq_ecertificates_id_hash_type')
    )
    op.create_table('case_queries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('station', sa.String(length=40), nullable=False),
    sa.Column('case_no', sa.String(length=64), nullable=False),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_queries'))
    )
    with op.batch_alter_table('case_queries', schema=None) as batch_op:
        batch_op.create_index('ix_case_queries_at', ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_queries', schema=None) as batch_op:
        batch_op.drop_index('ix_case_queries_at')
    op.drop_table('case_queries')
    op.drop_table('ecertificates')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_status')
        batch_op.drop_column('provider_ref')
        batch_op.drop_column('refund_reason')
        batch_op.drop_column('refunded_at')
        batch_op.drop_column('station')
    with op.batch_alter_table('case_timeline', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=32), type_=sa.String(length=16),
                              existing_nullable=False)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('statutory_date')
        batch_op.alter_column('status', existing_type=sa.String(length=32), type_=sa.String(length=16),
                              existing_nullable=False)
