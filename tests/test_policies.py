"""Policy versions: immutable once published; material changes."""

import pytest

from consent_service.extensions import db
from consent_service.models import PolicyImmutableError
from consent_service.services import policies


def test_published_policy_cannot_change(app, published_site):
    policy = published_site.policies[0]
    policy.content = {**policy.content, "categories": []}
    with pytest.raises(PolicyImmutableError):
        db.session.commit()
    db.session.rollback()
    policy = published_site.policies[0]
    policy.status = "draft"
    with pytest.raises(PolicyImmutableError):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(PolicyImmutableError):
        db.session.delete(published_site.policies[0])
        db.session.commit()
    db.session.rollback()


def test_wording_change_is_not_material_but_new_category_is(app, published_site):
    base = published_site.policies[0].content
    banner = {lang: dict(texts) for lang, texts in base["banner"].items()}
    banner["en"]["title"] = "We value your privacy"
    reworded = {**base, "banner": banner}
    change = policies.publish(policies.create_draft(published_site, reworded))
    assert change["material"] is False and change["changed_texts"] == ["en"]
    v2 = policies.current_policy(published_site)
    assert v2.version == 2 and v2.material_version == 1
    more = policies.build_content(["preferences", "analytics", "marketing"],
                                  ["google-analytics", "facebook-pixel"])
    change = policies.publish(policies.create_draft(published_site, more))
    assert change["material"] and change["added_categories"] == ["preferences"]
    assert policies.current_policy(published_site).material_version == 3


def test_content_hash_is_canonical(app):
    a = {"categories": [], "services": [], "banner": {"fi": {"b": 1, "a": 2}}}
    b = {"banner": {"fi": {"a": 2, "b": 1}}, "services": [], "categories": []}
    assert policies.content_hash(a) == policies.content_hash(b)


def test_unknown_service_is_refused(app):
    from consent_service.services.errors import Invalid

    with pytest.raises(Invalid):
        policies.build_content(["analytics"], ["no-such-service"])
