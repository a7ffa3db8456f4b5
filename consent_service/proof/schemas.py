"""Schemas of the proof endpoints (documented in /api/v1/openapi.json)."""

from marshmallow import Schema, ValidationError, fields, validate

from .exports import FORMATS, parse_when


class When(fields.String):
    """ISO date or datetime, UTC when naive; a bare date as `to` includes that day."""

    def __init__(self, *, end: bool = False, **kwargs):
        self.end = end
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_when(text, end=self.end)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class SigningKeyOut(Schema):
    key_id = fields.String(required=True,
                           metadata={"description": "first 16 hex of SHA-256 of the raw key"})
    fingerprint = fields.String(required=True, metadata={
        "description": "sha256: + SHA-256 hex of the raw 32-byte key (pin this)"})
    algorithm = fields.String(required=True, metadata={"example": "Ed25519"})
    public_key_pem = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    retired_at = fields.DateTime(allow_none=True)


class RangeQuery(Schema):
    from_ = When(data_key="from", load_default=None,
                 metadata={"description": "ISO date or datetime (UTC), inclusive"})
    to = When(end=True, load_default=None,
              metadata={"description": "ISO date (that day included) or datetime, exclusive"})


class ExportQuery(RangeQuery):
    format = fields.String(load_default="ndjson", validate=validate.OneOf(FORMATS))


class SealOut(Schema):
    site_key = fields.String(required=True)
    seq = fields.Integer(required=True)
    tree_size = fields.Integer(required=True)
    head_hash = fields.String(required=True)
    root_hash = fields.String(allow_none=True)
    key_fingerprint = fields.String(allow_none=True)
    timestamp = fields.String()
    sealed_at = fields.String(required=True)
    key_id = fields.String(required=True)
    algorithm = fields.String(required=True)
    signature = fields.String(required=True, metadata={"description": "base64 Ed25519"})
    payload = fields.String(required=True, metadata={"description": "the signed bytes"})


class SealResult(Schema):
    sealed = fields.Boolean(required=True)
    seal = fields.Nested(SealOut, allow_none=True)


class HeadOut(Schema):
    tree_size = fields.Integer(required=True, metadata={"description": "events covered"})
    root_hash = fields.String(required=True, metadata={"description": "RFC 9162 root, hex"})
    head_hash = fields.String(required=True, metadata={"description": "last event's hash"})
    timestamp = fields.String(required=True, metadata={"example": "2026-12-07T23:00:00Z"})
    key_fingerprint = fields.String(required=True)
    signature = fields.String(required=True, metadata={
        "description": "base64 Ed25519 over the canonical signed-head bytes (docs/proof.md)"})


class HeadsQuery(Schema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**62))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class HeadsOut(Schema):
    site_key = fields.String(required=True)
    heads = fields.List(fields.Nested(HeadOut), required=True)
    next_after = fields.Integer(allow_none=True, required=True)


class ConsistencyQuery(Schema):
    first = fields.Integer(required=True, validate=validate.Range(min=1, max=2**62))
    second = fields.Integer(required=True, validate=validate.Range(min=1, max=2**62))


class ConsistencyOut(Schema):
    first = fields.Integer(required=True)
    second = fields.Integer(required=True)
    proof = fields.List(fields.String(), required=True)


class TokenIn(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=400))


class VerifyOut(Schema):
    ok = fields.Boolean(required=True)
    verdict = fields.String(required=True)
    reason = fields.String(allow_none=True)
    site_key = fields.String(allow_none=True)
    events = fields.Integer(required=True)
    first_seq = fields.Integer(allow_none=True)
    last_seq = fields.Integer(allow_none=True)
    seals_checked = fields.Integer(required=True)
    failures = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    problems = fields.List(fields.String(), required=True)
    notes = fields.List(fields.String(), required=True)


class ProofOut(Schema):
    document = fields.Dict(required=True, metadata={
        "description": "record, policy hash, banner text shown, covering seal"})
    key_id = fields.String(required=True)
    algorithm = fields.String(required=True)
    signature = fields.String(required=True, metadata={
        "description": "base64 Ed25519 over the RFC 8785 canonical JSON of document"})
