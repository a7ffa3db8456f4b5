"""chain seals become signed tree heads: Merkle root and frontier per seal

Revision ID: e4c9a1f2b7d5
Revises: f9959c0f4aa7
Create Date: 2026-12-07 23:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4c9a1f2b7d5'
down_revision = 'f9959c0f4aa7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('chain_seal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('root_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('frontier', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('chain_seal', schema=None) as batch_op:
        batch_op.drop_column('frontier')
        batch_op.drop_column('root_hash')
