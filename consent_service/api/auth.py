"""Admin API authentication: `Authorization: Bearer <site API key>`."""

from __future__ import annotations

from flask import g, request

from ..extensions import db
from ..models import ApiKey, utcnow
from ..models.user import ROLES
from ..services.errors import NotFound, ServiceError
from ..services.sites import authenticate_api_key


def require_api_key(role: str = "viewer", site_key: str | None = None) -> ApiKey:
    """The request's API key, checked for role and, when given, for the site it names.

    A key of another site gets 404, as if the site did not exist."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ServiceError(401, "Send the site's API key as 'Authorization: Bearer <key>'")
    key = authenticate_api_key(token.strip())
    if key is None:
        raise ServiceError(401, "Unknown or revoked API key")
    if site_key is not None and key.site.site_key != site_key:
        raise NotFound("Unknown site key", {"site_key": [site_key]})
    if ROLES.index(key.role) < ROLES.index(role):
        raise ServiceError(403, f"This API key's role ({key.role}) cannot do this; "
                                f"it needs {role}")
    key.last_used_at = utcnow()
    db.session.commit()
    g.api_key = key
    return key
