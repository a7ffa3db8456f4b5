"""consent_event.service: the service an embed placeholder click consented to (issue 23)

Revision ID: 87b3cb40aa6d
Revises: a3d5f7c9e1b2
Create Date: 2026-12-07 23:46:58.868397

"""
import sqlalchemy as sa
from alembic import op

revision = "87b3cb40aa6d"
down_revision = "a3d5f7c9e1b2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("consent_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service", sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table("consent_event", schema=None) as batch_op:
        batch_op.drop_column("service")
