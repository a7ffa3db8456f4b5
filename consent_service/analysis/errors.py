"""Errors raised for input that cannot be analysed at all."""

from __future__ import annotations


class NoticeError(ValueError):
    """Input rejected before analysis. ``code`` is one of: empty, binary, too-large,
    undecodable, unreadable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}
