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
    """Open Voikko (Finnish) and compile the rules and the catalog's alias index (~0.1 s and
    ~10 MB, once per process) so that the first analysis does not pay for it.
    Only a process that analyses should call it: consent traffic never needs it."""
    from .text import warm_up as load_lemmas

    load_lemmas()
    analyze("Käytämme evästeitä sivuston kävijätilastoihin ja mainonnan kohdentamiseen.")


__all__ = ["SCHEMA", "NoticeError", "analyze", "build_banner_texts", "normalise_text", "warm_up"]
