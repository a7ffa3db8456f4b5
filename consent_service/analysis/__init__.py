"""Privacy-notice analysis: what a notice declares (categories, services, controller,
transfers) and what is wrong with it (findings), plus banner texts built from it.

Public API::

    analyze(data, *, today=None, catalog=None) -> dict   # notice-analysis/1
    normalise_text(raw) -> str                            # evidence quotes are substrings
    build_banner_texts(categories, services, controller_name=None, privacy_url=None)
    NoticeError(code, message)
"""

from .analyzer import SCHEMA, analyze
from .banner import build_banner_texts
from .errors import NoticeError
from .text import normalise_text


def warm_up() -> None:
    """Load simplemma's fi/sv/en dictionaries (several seconds, once per process) so that
    the first request does not pay for it; call at app start-up or in a worker hook."""
    analyze("Käytämme evästeitä. Vi använder kakor. We use cookies.")


__all__ = ["SCHEMA", "NoticeError", "analyze", "build_banner_texts", "normalise_text", "warm_up"]
