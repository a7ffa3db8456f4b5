"""maintenance jobs: when seal, purge and the statistics roll-up last ran

Revision ID: 7d2c4e91a0b3
Revises: 3b9e5f0c7a12
Create Date: 2026-11-26 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d2c4e91a0b3'
down_revision = '3b9e5f0c7a12'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('maintenance_job',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_maintenance_job'))
    )


def downgrade():
    op.drop_table('maintenance_job')
