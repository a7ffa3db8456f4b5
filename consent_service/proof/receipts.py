"""One visitor's proof: a signed document about a single consent event."""

from __future__ import annotations

import base64

from ..models import ConsentEvent, Site, utcnow
from ..security import canonical_json
from ..services.consents import chain_record, event_hash, iso
from .records import Policies
from .seals import ALGORITHM, covering_seal, get_signer, seal_dict, seal_site

PROOF_TYPE = "consent-proof"


def build_proof(event: ConsentEvent, site: Site, *, seal_if_needed: bool = False) -> dict:
    """{document, key_id, algorithm, signature}: the signature is Ed25519 over the RFC 8785
    canonical JSON of `document`."""
    signer = get_signer()
    site_key = site.site_key
    record = chain_record(event, site_key)
    stored_hash = event.event_hash
    seal = covering_seal(site, event.seq)
    if seal is None and seal_if_needed:
        seal = seal_site(site)
    policy = Policies(site.id).get(event.policy_version)
    texts = policy.content["banner"].get(event.language) if policy else None
    document = {
        "type": PROOF_TYPE,
        "v": 1,
        "site_key": site_key,
        "record": record,
        "event_hash": stored_hash,
        "event_hash_valid": event_hash(event, site_key) == stored_hash,
        "policy": {
            "version": event.policy_version,
            "content_hash": policy.stored_hash if policy else None,
            "content_hash_valid": bool(policy and policy.computed_hash == policy.stored_hash
                                       == event.policy_hash),
            "notice_hash": policy.notice_hash if policy else None,
        },
        "banner": {"language": event.language, "banner_hash": event.banner_hash,
                   "text": texts},
        "seal": seal_dict(seal, site_key) if seal is not None else None,
        "issued_at": iso(utcnow()),
        "key_id": signer.key_id,
    }
    signature = signer.sign(canonical_json(document))
    return {"document": document, "key_id": signer.key_id, "algorithm": ALGORITHM,
            "signature": base64.b64encode(signature).decode()}
