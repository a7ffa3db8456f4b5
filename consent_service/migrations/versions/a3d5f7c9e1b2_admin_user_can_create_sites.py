"""admin users: who may create sites besides superusers

Revision ID: a3d5f7c9e1b2
Revises: e4c9a1f2b7d5
Create Date: 2026-12-07 23:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a3d5f7c9e1b2'
down_revision = 'e4c9a1f2b7d5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('admin_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('can_create_sites', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('admin_user', schema=None) as batch_op:
        batch_op.drop_column('can_create_sites')
