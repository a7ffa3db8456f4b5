"""SQLAlchemy models; importing this module registers every table."""

from .consent import ChainHead, ConsentEvent
from .maintenance import MaintenanceJob
from .policy import PolicyImmutableError, PolicyVersion
from .site import ApiKey, Notice, Site
from .stats import ConsentDaily, ConsentRollupState
from .types import utcnow
from .user import ROLES, AdminUser, AuditLog, SiteMembership

__all__ = [
    "ROLES", "AdminUser", "ApiKey", "AuditLog", "ChainHead", "ConsentDaily", "ConsentEvent",
    "ConsentRollupState", "MaintenanceJob", "Notice",
    "PolicyImmutableError", "PolicyVersion", "Site", "SiteMembership", "utcnow",
]
