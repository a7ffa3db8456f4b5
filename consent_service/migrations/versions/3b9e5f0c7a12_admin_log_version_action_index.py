"""admin log: index for policy version + action searches

Revision ID: 3b9e5f0c7a12
Revises: 2448728f1954
Create Date: 2026-11-25 19:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3b9e5f0c7a12'
down_revision = '2448728f1954'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consent_event', schema=None) as batch_op:
        batch_op.create_index('ix_consent_event_site_policy_action_recorded',
                              ['site_id', 'policy_version', 'action', 'recorded_at', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('consent_event', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_event_site_policy_action_recorded')
