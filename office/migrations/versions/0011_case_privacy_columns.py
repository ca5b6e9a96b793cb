"""cases: the applicant's keyed fingerprint and the issued result's verification code in their own columns

The unsalted `_applicant_fp` leaves the form JSON (it could be brute-forced to the ID number; the
keyed one cannot be computed here, so cases from before are no longer found by
`cases_for_applicant`). `verify_code` and `approved_at` are filled for electronic results already
issued, so /verify/{code} finds them by equality.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""
import hashlib
import json

from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

FP_KEY = "_applicant_fp"


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('applicant_fp', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('verify_code', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('approved_at', sa.String(length=40), nullable=True))
        batch_op.create_index('ix_cases_applicant_fp', ['applicant_fp'], unique=False)
        batch_op.create_index('ix_cases_verify_code', ['verify_code'], unique=False)
    conn = op.get_bind()
    cases = sa.table('cases', sa.column('case_no', sa.String), sa.column('form', sa.Text),
                     sa.column('ref', sa.String), sa.column('status', sa.String),
                     sa.column('via_cabinet', sa.Boolean), sa.column('prints', sa.Boolean),
                     sa.column('verify_code', sa.String), sa.column('approved_at', sa.String))
    timeline = sa.table('case_timeline', sa.column('case_no', sa.String), sa.column('status', sa.String),
                        sa.column('at', sa.String))
    for row in conn.execute(sa.select(cases.c.case_no, cases.c.form).where(cases.c.form.like(f'%{FP_KEY}%'))).all():
        try:
            form = json.loads(row.form)
        except ValueError:
            continue
        if isinstance(form, dict) and form.pop(FP_KEY, None) is not None:
            conn.execute(sa.update(cases).where(cases.c.case_no == row.case_no)
                         .values(form=json.dumps(form, ensure_ascii=False, separators=(",", ":"), sort_keys=True)))
    issued = conn.execute(sa.select(cases.c.case_no, cases.c.ref).where(
        cases.c.status == 'approved', cases.c.via_cabinet.is_(False), cases.c.prints.is_(False))).all()
    for row in issued:
        at = conn.execute(sa.select(sa.func.min(timeline.c.at)).where(
            timeline.c.case_no == row.case_no, timeline.c.status == 'approved')).scalar()
        conn.execute(sa.update(cases).where(cases.c.case_no == row.case_no).values(
            verify_code=hashlib.sha256((row.case_no + row.ref).encode()).hexdigest()[:12].upper(), approved_at=at))


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_verify_code')
        batch_op.drop_index('ix_cases_applicant_fp')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('verify_code')
        batch_op.drop_column('applicant_fp')
