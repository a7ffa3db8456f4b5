"""admin sessions (server-side, so logout ends them) and site invitations

Revision ID: f9959c0f4aa7
Revises: 7d2c4e91a0b3
Create Date: 2026-12-07 23:03:24.932756

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f9959c0f4aa7'
down_revision = '7d2c4e91a0b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('admin_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ua_family', sa.String(length=80), nullable=True),
    sa.Column('client_ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['admin_user.id'], name=op.f('fk_admin_session_user_id_admin_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_admin_session_token_hash'))
    )
    with op.batch_alter_table('admin_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_session_user_id'), ['user_id'], unique=False)

    op.create_table('site_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('invited_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invited_by'], ['admin_user.id'], name=op.f('fk_site_invitation_invited_by_admin_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_site_invitation_site_id_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_invitation')),
    sa.UniqueConstraint('site_id', 'email', name='uq_site_invitation_site_email')
    )
    with op.batch_alter_table('site_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_invitation_email'), ['email'], unique=False)



def downgrade():
    with op.batch_alter_table('site_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_invitation_email'))

    op.drop_table('site_invitation')
    with op.batch_alter_table('admin_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_session_user_id'))

    op.drop_table('admin_session')
