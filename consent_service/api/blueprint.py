"""flask-smorest's Blueprint, with a JSON parser that answers 400, not 500, to a body
nested deeper than Python's recursion limit (json.loads raises RecursionError there)."""

from __future__ import annotations

import json

import flask_smorest
from webargs.flaskparser import FlaskParser


class Parser(FlaskParser):
    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            error = json.JSONDecodeError("nested too deeply", "", 0)
            return self._handle_invalid_json_error(error, req)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()
