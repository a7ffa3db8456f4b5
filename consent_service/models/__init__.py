"""SQLAlchemy models; importing this module registers every table."""

from .consent import ChainHead, ConsentEvent
from .policy import PolicyImmutableError, PolicyVersion
from .site import ApiKey, Notice, Site
from .types import utcnow
from .user import ROLES, AdminUser, AuditLog, SiteMembership

__all__ = [
    "ROLES", "AdminUser", "ApiKey", "AuditLog", "ChainHead", "ConsentEvent", "Notice",
    "PolicyImmutableError", "PolicyVersion", "Site", "SiteMembership", "utcnow",
]
