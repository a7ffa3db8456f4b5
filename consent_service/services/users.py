"""Admin users and their roles per site."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import ROLES, AdminUser, AuditLog, SiteInvitation, SiteMembership, utcnow
from ..security import hash_password, verify_password
from .errors import Invalid, NotFound


def create_user(email: str, password: str, *, is_superuser: bool = False,
                actor_id: int | None = None) -> AdminUser:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise Invalid("Not an email address", {"email": [email]})
    if db.session.scalar(select(func.count()).where(AdminUser.email == email)):
        raise Invalid("That email already has an account", {"email": [email]})
    user = AdminUser(email=email, password_hash=hash_password(password),
                     is_superuser=is_superuser)
    db.session.add(user)
    db.session.flush()
    db.session.add(AuditLog(user_id=actor_id, action="user.create",
                            details={"email": email, "superuser": is_superuser}))
    db.session.commit()
    return user


def role_on(user: AdminUser, site_id: int) -> str | None:
    """The user's role on a site; superusers are owners everywhere."""
    if user.is_superuser:
        return "owner"
    for m in user.memberships:
        if m.site_id == site_id:
            return m.role
    return None


def has_role(user: AdminUser, site_id: int, needed: str) -> bool:
    role = role_on(user, site_id)
    return role is not None and ROLES.index(role) >= ROLES.index(needed)


def grant(user: AdminUser, site_id: int, role: str, *, actor_id: int | None = None) -> None:
    if role not in ROLES:
        raise Invalid("Unknown role", {"role": [role]})
    membership = db.session.scalars(
        select(SiteMembership).where(SiteMembership.user_id == user.id,
                                     SiteMembership.site_id == site_id)
    ).first()
    if membership is None:
        db.session.add(SiteMembership(user_id=user.id, site_id=site_id, role=role))
    else:
        membership.role = role
    db.session.add(AuditLog(site_id=site_id, user_id=actor_id, action="user.grant",
                            details={"email": user.email, "role": role}))
    db.session.commit()


def change_password(user: AdminUser, current: str, new: str) -> int:
    """Set a new password after checking the current one; every session of the user ends
    (the caller starts a new one for the browser that asked). Returns the sessions ended."""
    from ..models import AdminSession

    if not verify_password(user.password_hash, current):
        raise Invalid("The current password is wrong", {"current": ["wrong password"]})
    if len(new) < 10:
        raise Invalid("The new password needs at least 10 characters", {"new": ["too short"]})
    user.password_hash = hash_password(new)
    ended = db.session.execute(
        delete(AdminSession).where(AdminSession.user_id == user.id)).rowcount
    db.session.add(AuditLog(user_id=user.id, action="user.password_change",
                            details={"sessions_ended": ended}))
    db.session.commit()
    return ended


INVITATION_VALID_DAYS = 30


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise Invalid("Not an email address", {"email": [email[:320]]})
    return email


def invite(site_id: int, email: str, role: str, *, actor_id: int | None) -> SiteInvitation:
    """Offer `role` on the site to `email`. Done the same way whether or not the address
    has an account, so the answer tells the inviting owner nothing about other users."""
    if role not in ROLES:
        raise Invalid("Unknown role", {"role": [role]})
    email = normalise_email(email)
    row = db.session.scalars(select(SiteInvitation).where(
        SiteInvitation.site_id == site_id, SiteInvitation.email == email)).first()
    if row is None:
        row = SiteInvitation(site_id=site_id, email=email)
        db.session.add(row)
    row.role, row.invited_by, row.created_at = role, actor_id, utcnow()
    db.session.add(AuditLog(site_id=site_id, user_id=actor_id, action="user.invite",
                            details={"email": email, "role": role}))
    db.session.commit()
    return row


def site_invitations(site_id: int) -> list[SiteInvitation]:
    cutoff = utcnow() - timedelta(days=INVITATION_VALID_DAYS)
    return list(db.session.scalars(select(SiteInvitation).where(
        SiteInvitation.site_id == site_id, SiteInvitation.created_at >= cutoff)
        .order_by(SiteInvitation.email)))


def invitations_for(user: AdminUser) -> list[SiteInvitation]:
    cutoff = utcnow() - timedelta(days=INVITATION_VALID_DAYS)
    return list(db.session.scalars(select(SiteInvitation).where(
        SiteInvitation.email == user.email, SiteInvitation.created_at >= cutoff)
        .order_by(SiteInvitation.created_at)))


def answer_invitation(user: AdminUser, invitation_id: int, accept: bool) -> SiteInvitation:
    """The invited user accepts (the role becomes a membership) or declines."""
    row = db.session.get(SiteInvitation, invitation_id)
    if row is None or row.email != user.email or \
            row.created_at < utcnow() - timedelta(days=INVITATION_VALID_DAYS):
        raise NotFound("No such invitation")
    if accept:
        membership = db.session.scalars(select(SiteMembership).where(
            SiteMembership.user_id == user.id, SiteMembership.site_id == row.site_id)).first()
        if membership is None:
            db.session.add(SiteMembership(user_id=user.id, site_id=row.site_id, role=row.role))
        else:
            membership.role = row.role
    db.session.add(AuditLog(site_id=row.site_id, user_id=user.id,
                            action="user.invite_accept" if accept else "user.invite_decline",
                            details={"email": user.email, "role": row.role}))
    db.session.delete(row)
    db.session.commit()
    return row
