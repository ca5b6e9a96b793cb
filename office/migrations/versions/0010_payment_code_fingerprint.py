"""payments name the payment code that charged them (paycode_fp, unique: a code charges one order)

The interim `pay_url = 'paycode:<fingerprint>'` of a code-paid order (docs/adr/0256) moves to
the new column; if a code was charged twice before the index existed (the race it closes), the
earliest order keeps the fingerprint.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paycode_fp', sa.String(length=64), nullable=True))
    op.execute("UPDATE payments SET paycode_fp = substr(pay_url, 9) WHERE pay_url LIKE 'paycode:%' AND order_id IN "
               "(SELECT MIN(order_id) FROM payments WHERE pay_url LIKE 'paycode:%' GROUP BY pay_url)")
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ux_payments_paycode_fp', ['paycode_fp'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ux_payments_paycode_fp')
        batch_op.drop_column('paycode_fp')
