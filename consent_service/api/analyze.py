"""POST /api/v1/analyze: the notice analyzer for API clients holding an admin API key."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from ..analysis import NoticeError, analyze
from ..concurrency import run_blocking
from ..schemas.public import ErrorOut
from ..services.errors import ServiceError
from .auth import require_api_key
from .blueprint import Blueprint

blp = Blueprint("analyze", __name__, url_prefix="/api/v1",
                description="Privacy-notice analysis (admin API key)")

MAX_NOTICE = 2 * 1024 * 1024


class AnalyzeIn(Schema):
    notice = fields.String(required=True, validate=validate.Length(min=1, max=MAX_NOTICE),
                           metadata={"description": "notice as plain text or HTML"})
    today = fields.Date(load_default=None, metadata={"description": "for the age finding"})


class AnalysisOut(Schema):
    schema = fields.String(required=True)
    language = fields.String(required=True)
    controller = fields.Dict(required=True)
    notice_date = fields.String(allow_none=True, required=True)
    categories = fields.Dict(required=True)
    services = fields.List(fields.Dict(), required=True)
    transfers_outside_eea = fields.Boolean(allow_none=True, required=True)
    findings = fields.List(fields.Dict(), required=True)
    banner = fields.Dict(required=True)


@blp.route("/analyze")
class Analyze(MethodView):
    @blp.arguments(AnalyzeIn())
    @blp.response(200, AnalysisOut)
    @blp.alt_response(401, schema=ErrorOut, description="No or unknown API key")
    @blp.alt_response(403, schema=ErrorOut, description="The key's role is too low")
    @blp.alt_response(422, schema=ErrorOut, description="Not a notice that can be read")
    @blp.doc(security=[{"apiKey": []}])
    def post(self, data):
        """Analyse a privacy notice: categories, services, controller, findings, banner."""
        require_api_key("editor")
        try:
            return run_blocking(analyze, data["notice"], today=data["today"])
        except NoticeError as exc:
            raise ServiceError(422, exc.message, {"notice": [exc.code]}) from exc


