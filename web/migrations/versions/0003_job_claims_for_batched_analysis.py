"""job claims for batched analysis

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 16:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_lead', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_jobs_batch_lead'), ['batch_lead'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_batch_lead'))
        batch_op.drop_column('lease_until')
        batch_op.drop_column('claim_token')
        batch_op.drop_column('batch_lead')
