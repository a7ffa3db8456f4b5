"""SQLAlchemy models; importing this module registers every table."""

from .consent import ChainHead, ConsentEvent
from .maintenance import MaintenanceJob
from .policy import PolicyImmutableError, PolicyVersion
from .site import ApiKey, Notice, Site
from .stats import ConsentDaily, ConsentRollupState
from .types import utcnow
from .user import ROLES, AdminSession, AdminUser, AuditLog, SiteInvitation, SiteMembership

__all__ = [
    "ROLES", "AdminSession", "AdminUser", "ApiKey", "AuditLog", "ChainHead", "ConsentDaily",
    "ConsentEvent",
    "ConsentRollupState", "MaintenanceJob", "Notice",
    "PolicyImmutableError", "PolicyVersion", "Site", "SiteInvitation", "SiteMembership", "utcnow",
]
