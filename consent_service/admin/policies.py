"""Policy versions: history, draft editor with live preview, diff and publish."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from ..catalog import load_catalog
from ..extensions import csrf, db
from ..models import Notice, PolicyVersion
from ..services import policies
from ..services.siteconfig import build_payload
from . import bp
from .common import site_or_404
from .forms import PublishForm
from .notices import latest_draft

TEXT_KEYS = ("title", "description", "accept_all", "reject_all", "settings", "save",
             "preferences_title", "preferences_description", "reopen_label")
LANGS = ("fi", "sv", "en")


def _version_or_404(site, version: int) -> PolicyVersion:
    policy = db.session.scalars(select(PolicyVersion).where(
        PolicyVersion.site_id == site.id, PolicyVersion.version == version)).first()
    if policy is None:
        abort(404)
    return policy


def _draft_or_404(site, version: int) -> PolicyVersion:
    policy = _version_or_404(site, version)
    if policy.is_published:
        abort(409, f"Version {version} is published and cannot change; create a new draft")
    return policy


@bp.get("/sites/<site_key>/policies")
def policy_list(site_key):
    site = site_or_404(site_key)
    rows = list(db.session.scalars(select(PolicyVersion).where(PolicyVersion.site_id == site.id)
                                   .order_by(PolicyVersion.version.desc())))
    return render_template("admin/policies.html", site=site, policies=rows,
                           current=policies.current_policy(site), draft=latest_draft(site))


@bp.get("/sites/<site_key>/policies/<int:version>")
def policy_view(site_key, version):
    site = site_or_404(site_key)
    return render_template("admin/policy.html", site=site, policy=_version_or_404(site, version),
                           langs=LANGS)


@bp.post("/sites/<site_key>/policies/draft")
def policy_new_draft(site_key):
    site = site_or_404(site_key, "editor")
    draft = latest_draft(site)
    if draft is None:
        current = policies.current_policy(site)
        content = current.content if current else policies.build_content(
            list(policies.DEFAULT_CATEGORIES), [], privacy_url=site.privacy_url)
        draft = policies.create_draft(site, content, user_id=g.user.id)
    return redirect(url_for("admin.policy_edit", site_key=site.site_key, version=draft.version))


def _controller(policy: PolicyVersion) -> str | None:
    notice = db.session.get(Notice, policy.notice_id) if policy.notice_id else None
    return ((notice.analysis or {}).get("controller") or {}).get("name") if notice else None


def content_from_form(site, policy: PolicyVersion, form) -> dict:
    """The draft content an editor submitted. A text field the editor changed wins; untouched
    texts follow the (possibly regenerated) defaults when categories or services change."""
    stored = policy.content
    categories = [c for c in policies.CATEGORIES if c in form.getlist("categories")]
    catalog = load_catalog()
    services = [s for s in form.getlist("services") if catalog.get(s)]
    services += [s for s in form.getlist("add_services") if catalog.get(s) and s not in services]
    fresh = policies.build_content(categories, services, controller_name=_controller(policy),
                                   privacy_url=site.privacy_url)
    same_shape = ([c["id"] for c in fresh["categories"]] == [c["id"] for c in stored["categories"]]
                  and [s["id"] for s in fresh["services"]]
                  == [s["id"] for s in stored["services"]])
    if form.get("regenerate"):
        return fresh
    banner = json.loads(json.dumps(stored["banner"] if same_shape else fresh["banner"]))
    for lang, texts in banner.items():
        old = stored["banner"].get(lang, {})
        for key in TEXT_KEYS:
            value = form.get(f"banner-{lang}-{key}")
            if value is not None and value.strip() and value != old.get(key):
                texts[key] = value.strip()
        for cat, entry in texts.get("categories", {}).items():
            old_entry = old.get("categories", {}).get(cat, {})
            for key in ("title", "description"):
                value = form.get(f"banner-{lang}-cat-{cat}-{key}")
                if value is not None and value.strip() and value != old_entry.get(key):
                    entry[key] = value.strip()
    return policies.build_content(categories, services, banner=banner)


def _catalog_groups(exclude: set[str]) -> list[tuple[str, list]]:
    catalog = load_catalog()
    return [(cat, sorted((s for s in catalog.services if s.category == cat and s.id not in exclude),
                         key=lambda s: s.name.lower()))
            for cat in policies.CATEGORIES]


@bp.route("/sites/<site_key>/policies/<int:version>/edit", methods=["GET", "POST"])
def policy_edit(site_key, version):
    site = site_or_404(site_key, "editor")
    policy = _draft_or_404(site, version)
    if request.method == "POST":
        content = content_from_form(site, policy, request.form)
        policies.update_draft(policy, content)
        flash(f"Draft version {policy.version} saved.", "info")
        if request.form.get("next") == "publish":
            return redirect(url_for("admin.policy_publish", site_key=site.site_key,
                                    version=policy.version))
        return redirect(url_for("admin.policy_edit", site_key=site.site_key,
                                version=policy.version))
    used = {s["id"] for s in policy.content["services"]}
    return render_template("admin/policy_edit.html", site=site, policy=policy, langs=LANGS,
                           text_keys=TEXT_KEYS, categories=policies.CATEGORIES,
                           used_categories={c["id"] for c in policy.content["categories"]},
                           catalog_groups=_catalog_groups(used))


def _bundle() -> str | None:
    path = Path(current_app.config["LOADER_BUNDLE"])
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _script_json(value) -> str:
    """JSON safe inside a <script> element."""
    return (json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


@bp.route("/sites/<site_key>/policies/<int:version>/preview", methods=["GET", "POST"])
def policy_preview(site_key, version):
    """The real banner bundle with this version's config (or the unsaved form) inlined."""
    site = site_or_404(site_key, "editor" if request.method == "POST" else "viewer")
    policy = _version_or_404(site, version)
    content = policy.content
    if request.method == "POST" and not policy.is_published:
        content = content_from_form(site, policy, request.form)
    shadow = SimpleNamespace(version=policy.version, content=content,
                             content_hash=policies.content_hash(content),
                             material_version=policy.version)
    payload = build_payload(site, shadow)
    payload["api_base"] = url_for("admin.preview_sink_root").rstrip("/")
    lang = request.values.get("lang") or payload["languages"][0]
    bundle = _bundle()
    resp = current_app.make_response(render_template(
        "admin/preview.html", site=site, policy=policy, lang=lang,
        config_json=_script_json(payload),
        bundle=bundle.replace("</script", "<\\/script") if bundle else None))
    resp.headers["X-Frame-Options"] = "SAMEORIGIN"
    return resp


@bp.route("/preview-sink/", methods=["POST"], endpoint="preview_sink_root")
@bp.route("/preview-sink/<path:rest>", methods=["POST"])
@csrf.exempt
def preview_sink(rest: str = ""):
    """Consent events from the preview banner land here and are dropped."""
    return ("", 204)


@bp.route("/sites/<site_key>/policies/<int:version>/publish", methods=["GET", "POST"])
def policy_publish(site_key, version):
    site = site_or_404(site_key, "editor")
    policy = _draft_or_404(site, version)
    current = policies.current_policy(site)
    change = policies.diff(current.content if current else None, policy.content)
    form = PublishForm()
    if form.validate_on_submit():
        result = policies.publish(policy, user_id=g.user.id)
        flash(f"Version {policy.version} published"
              + (" — a material change: visitors are asked again." if result["material"]
                 else "; not material, stored consents stay valid."), "info")
        return redirect(url_for("admin.policy_view", site_key=site.site_key,
                                version=policy.version))
    return render_template("admin/publish.html", site=site, policy=policy, current=current,
                           change=change, form=form)
