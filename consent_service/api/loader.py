"""The banner scripts (banner_js/README.md "How it is served"):

- GET /loader/<site_key>.js: the render-blocking core (`core.min.js`) with the part of the
  site's config it needs inlined; the URL the site embeds, so short-lived (revalidated with
  an ETag). `/loader/<site_key>/core.<version>.js` is the same script under an immutable
  versioned URL, for integrations that print the current version.
- GET /loader/<site_key>/ui-<lang>.<version>.js: the UI script (`ui.min.js`) with that one
  language's texts, categories and services; the core asks for it only when the banner
  must show or the settings are opened. Immutable: a new policy or bundle is a new version.

Every built file is read from BANNER_DIST_DIR.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from pathlib import Path

from flask import Blueprint, current_app, request

from ..security import sha256_hex
from ..services.errors import NotFound, ServiceError
from ..services.siteconfig import get_config
from .public import api_base

bp = Blueprint("loader", __name__)
LOADER_MAX_AGE = 300
IMMUTABLE = "public, max-age=31536000, immutable"
BUNDLE_RECHECK = 2.0  # seconds between stat() calls of a bundle file
CORE_FILE, UI_FILE = "core.min.js", "ui.min.js"

_bundle: dict[str, tuple[float, float, bytes, str]] = {}  # path: (checked, mtime, data, hash)
# (kind, config etag, bundle hash, lang) -> (etag, script, gzipped script)
_scripts: dict[tuple, tuple[str, bytes, bytes]] = {}
_lock = threading.Lock()


def read_bundle(name: str = CORE_FILE) -> tuple[bytes, str]:
    """A built file of BANNER_DIST_DIR and its hash, re-read only when the file changes."""
    path = str(Path(current_app.config["BANNER_DIST_DIR"]) / name)
    now = time.monotonic()
    hit = _bundle.get(path)
    if hit is not None and now - hit[0] < BUNDLE_RECHECK:
        return hit[2], hit[3]
    try:
        mtime = Path(path).stat().st_mtime
    except FileNotFoundError:
        raise ServiceError(503, "The banner bundle is not built; run the build step "
                                "(npm ci && npm run build in banner_js/)") from None
    with _lock:
        if hit is None or hit[1] != mtime:
            data = Path(path).read_bytes()
            hit = (now, mtime, data, sha256_hex(data))
        else:
            hit = (now, *hit[1:])
        _bundle[path] = hit
    return hit[2], hit[3]


def _json(value) -> bytes:
    """JSON that cannot end the script element it may be inlined in."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            .replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
            .encode())


def core_config(full: dict, ui_url: str) -> dict:
    """What the blocking core needs (mirrors banner_js/scripts/split.mjs coreConfig)."""
    return {
        "site_key": full["site_key"],
        "policy_version": full["policy_version"],
        "material_version": full["material_version"],
        "languages": full["languages"],
        "reprompt_days": full["reprompt_days"],
        "categories": [{"id": c["id"], "required": bool(c["required"])}
                       for c in full["categories"]],
        "blocking": full["blocking"],
        "consent_mode": full["consent_mode"],
        "reopen": {lang: full["texts"][lang].get("reopen_label", "")
                   for lang in full["languages"] if lang in full["texts"]},
        "ui": ui_url,
    }


def ui_texts(full: dict, lang: str) -> dict:
    """One language's part of the config, for the UI (mirrors split.mjs uiTexts)."""
    return {
        "api_base": full["api_base"],
        # The version these texts belong to: a core cached from before a publish then still
        # records a consistent (version, banner_hash) pair.
        "policy_version": full["policy_version"],
        "texts": {lang: full["texts"][lang]},
        "banner_hashes": {lang: full["banner_hashes"].get(lang, "")},
        "categories": [
            {"id": c["id"], "required": bool(c["required"]),
             "services": [{"id": s["id"], "name": s["name"], "vendor": s.get("vendor"),
                           "cookies": [{"name": k["name"], "lifetime": k["lifetime"]}
                                       for k in s.get("cookies") or []]}
                          for s in c.get("services") or []]}
            for c in full["categories"]
        ],
    }


def _cached(key: tuple, make) -> tuple[str, bytes, bytes]:
    hit = _scripts.get(key)
    if hit is None:
        etag, script = make()
        hit = (etag, script, gzip.compress(script, compresslevel=9, mtime=0))
        with _lock:
            if len(_scripts) > 1000:  # old policy versions and bundles fall out
                _scripts.clear()
            _scripts[key] = hit
    return hit


def ui_version(config_etag: str, ui_hash: str) -> str:
    return sha256_hex(f"{config_etag}:{ui_hash}")[:20]


def _site(site_key: str):
    config = get_config(site_key)
    if config.payload is None:
        raise NotFound("The site has no published policy yet")
    body, config_etag = config.render(api_base())
    return config, body, config_etag


def core_script(site_key: str) -> tuple[str, bytes, bytes]:
    config, body, config_etag = _site(site_key)
    core, core_hash = read_bundle(CORE_FILE)
    _, ui_hash = read_bundle(UI_FILE)

    def make():
        full = json.loads(body)
        version = ui_version(config_etag, ui_hash)
        ui_url = f"{api_base().removesuffix('/api/v1')}/loader/{site_key}/ui-{{lang}}.{version}.js"
        etag = sha256_hex(f"{config_etag}:{core_hash}:{ui_hash}")[:40]
        script = (f"/* consent-service loader {full['policy_version']} {etag} */\n".encode()
                  + b"window.__consentServiceConfig=" + _json(core_config(full, ui_url))
                  + b";\n" + core)
        return etag, script

    return _cached(("core", config_etag, core_hash, ui_hash), make)


def _send(etag: str, script: bytes, zipped: bytes, cache: str):
    # Compressed once per version; most visitors get a third of the bytes.
    use_gzip = "gzip" in request.accept_encodings
    if use_gzip:
        etag, script = etag + "-gz", zipped
    if etag in request.if_none_match:
        resp = current_app.response_class(status=304)
    else:
        resp = current_app.response_class(script, mimetype="application/javascript")
        resp.headers["X-Content-Type-Options"] = "nosniff"
        if use_gzip:
            resp.headers["Content-Encoding"] = "gzip"
    resp.headers["Vary"] = "Accept-Encoding"
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = cache
    return resp


@bp.get("/loader/<string:site_key>.js")
def loader(site_key: str):
    return _send(*core_script(site_key), f"public, max-age={LOADER_MAX_AGE}")


@bp.get("/loader/<string:site_key>/core.<string:version>.js")
def loader_versioned(site_key: str, version: str):
    etag, script, zipped = core_script(site_key)
    # An old version's URL gets the current script, not cached for long.
    cache = IMMUTABLE if version == etag[:20] else f"public, max-age={LOADER_MAX_AGE}"
    return _send(etag, script, zipped, cache)


@bp.get("/loader/<string:site_key>/ui-<string:lang>.<string:version>.js")
def ui(site_key: str, lang: str, version: str):
    config, body, config_etag = _site(site_key)
    if lang not in config.payload["languages"]:
        raise NotFound("The site has no texts in this language", {"lang": [lang]})
    ui_js, ui_hash = read_bundle(UI_FILE)

    def make():
        script = (f"/* consent-service ui {lang} */\n".encode()
                  + b"window.__consentServiceTexts=" + _json(ui_texts(json.loads(body), lang))
                  + b";\n" + ui_js)
        return ui_version(config_etag, ui_hash) + lang, script

    etag, script, zipped = _cached(("ui", config_etag, ui_hash, lang), make)
    current = version == ui_version(config_etag, ui_hash)
    return _send(etag, script, zipped,
                 IMMUTABLE if current else f"public, max-age={LOADER_MAX_AGE}")
