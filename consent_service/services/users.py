"""Admin users and their roles per site."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import ROLES, AdminUser, AuditLog, SiteMembership
from ..security import hash_password
from .errors import Invalid


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
