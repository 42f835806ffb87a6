"""approved reference photos of a site's views

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 17:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'reference_photos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('area', sa.String(length=20), nullable=False),
        sa.Column('photo_id', sa.Integer(), nullable=False),
        sa.Column('approved_by', sa.Integer(), nullable=False),
        sa.Column('approved_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['approved_by'], ['users.id']),
        sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('photo_id'),
    )
    with op.batch_alter_table('reference_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reference_photos_site_id'), ['site_id'], unique=False)
        batch_op.create_index('ix_reference_photos_site_area', ['site_id', 'area'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reference_photos', schema=None) as batch_op:
        batch_op.drop_index('ix_reference_photos_site_area')
        batch_op.drop_index(batch_op.f('ix_reference_photos_site_id'))
    op.drop_table('reference_photos')
