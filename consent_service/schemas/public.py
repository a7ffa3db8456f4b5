"""Schemas of the public API (validated input, documented output)."""

from marshmallow import Schema, fields, validate

from ..services.consents import ACTIONS, EMBED


class StrictBoolean(fields.Boolean):
    """JSON true/false only: "yes", 1 or "true" are refused, not guessed."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


HEX64 = validate.Regexp(r"^[0-9a-f]{64}$", error="must be 64 lowercase hex characters")


class ConsentIn(Schema):
    event_id = fields.UUID(required=True, metadata={"description": "client-generated UUID"})
    policy_version = fields.Integer(required=True, strict=True,
                                    validate=validate.Range(min=1, max=2**31 - 1))
    action = fields.String(required=True, validate=validate.OneOf((*ACTIONS, EMBED)))
    service = fields.String(
        load_default=None, allow_none=True,
        # A catalog id, or the embed's host name where no catalog service matches it.
        validate=validate.Regexp(r"^[a-z0-9][a-z0-9.-]{0,79}$",
                                 error="a catalog service id or host name"),
        metadata={"description": "with action embed only: the service whose content the "
                                 "visitor chose to load (a placeholder click)"})
    choices = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=40)),
        values=StrictBoolean(),
        required=True,
        validate=validate.Length(max=10),
    )
    language = fields.String(required=True, validate=validate.OneOf(("fi", "sv", "en")))
    banner_hash = fields.String(required=True, validate=HEX64)
    page_url = fields.URL(load_default=None, allow_none=True, schemes={"http", "https"},
                          require_tld=False, validate=validate.Length(max=2000))
    gpc = StrictBoolean(load_default=False)


class ReceiptOut(Schema):
    receipt_id = fields.String(required=True)
    receipt = fields.String(required=True, metadata={"description": "signed receipt token"})
    recorded_at = fields.String(required=True)
    seq = fields.Integer(required=True)


class ReceiptQuery(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=400))


class ReceiptRecord(Schema):
    v = fields.Integer(required=True)
    site_key = fields.String(required=True)
    seq = fields.Integer(required=True)
    event_id = fields.String(required=True)
    receipt_id = fields.String(required=True)
    policy_version = fields.Integer(required=True)
    policy_hash = fields.String(required=True)
    action = fields.String(required=True)
    choices = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True)
    language = fields.String(required=True)
    banner_hash = fields.String(required=True)
    gpc = fields.Boolean(required=True)
    recorded_at = fields.String(required=True)
    personal_hash = fields.String(required=True)
    prev_hash = fields.String(required=True)
    service = fields.String(allow_none=True)
    event_hash = fields.String(required=True)
    hash_valid = fields.Boolean(required=True)
    page_url = fields.String(allow_none=True)
    purged = fields.Boolean(required=True)


class CategoryOut(Schema):
    id = fields.String(required=True)
    required = fields.Boolean(required=True)
    title = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    description = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    services = fields.List(fields.Dict(), required=True)


class SiteConfigOut(Schema):
    api_base = fields.String(required=True)
    site_key = fields.String(required=True)
    policy_version = fields.Integer(required=True)
    policy_hash = fields.String(required=True)
    material_version = fields.Integer(required=True)
    languages = fields.List(fields.String(), required=True)
    reprompt_days = fields.Integer(required=True)
    privacy_url = fields.String(allow_none=True)
    categories = fields.List(fields.Nested(CategoryOut), required=True)
    texts = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True)
    banner_hashes = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    blocking = fields.List(fields.Dict(), required=True)
    consent_mode = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                               required=True)


class HealthOut(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)


class ReadyOut(Schema):
    status = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class ErrorOut(Schema):
    code = fields.Integer(required=True)
    status = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict(required=True)
