"""flask-smorest's Blueprint, and the one way our JSON endpoints read a body: a 400 with
webargs' error shape for anything that is not JSON, including a body nested deeper than
Python's recursion limit (json.loads raises RecursionError there, which webargs lets
through as a 500), and a 422 for a body the schema refuses."""

from __future__ import annotations

import json

import flask_smorest
from marshmallow import Schema, ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

INVALID_JSON = {"json": ["Invalid JSON body."]}


def decode_json(raw: bytes):
    try:
        value = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        abort(400, exc=exc, messages=INVALID_JSON)
    # "\ud800" (a lone surrogate) and "\u0000" are JSON but not text: no database stores
    # them (UTF-8 encoding fails; PostgreSQL refuses NUL). Both need a \u escape, so a
    # body without one (every banner's) skips the walk.
    if b"\\u" in raw and not _is_text(value):
        abort(400, messages=NOT_TEXT)
    return value


NOT_TEXT = {"json": ["Strings must be valid Unicode text without NUL characters."]}


def _is_text(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or not item.isascii() and not _encodable(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def load_body(raw: bytes, schema: Schema) -> dict:
    """`raw` validated by `schema`, without webargs' per-request machinery (the consent
    POST, where that machinery was a fifth of the request's CPU). An empty body is {}."""
    try:
        return schema.load(decode_json(raw) if raw else {})
    except ValidationError as exc:
        abort(422, exc=exc, messages={"json": exc.messages})


class Parser(FlaskParser):
    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        return decode_json(req.get_data(cache=True))


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()
