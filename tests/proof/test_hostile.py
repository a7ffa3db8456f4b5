"""A verifier that survives hostile input: every malformed bundle is INVALID with a
one-line reason, never a traceback (corpus in hostile.py, and hypothesis mutations)."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent_service.proof.verify import INVALID, VALID, Limits, Pins, verify_bundle

from .hostile import build_corpus

VERDICTS = {"VALID", "INVALID", "UNPINNED KEY", "UNSEALED TAIL"}


@pytest.fixture
def clean(runner, proof_site, add_events, tmp_path, signing_key):
    add_events(6)
    out = tmp_path / "clean.zip"
    assert runner.invoke(args=["bundle", "--site", proof_site.site_key, "--out",
                               str(out)]).exit_code == 0
    pins = Pins(fingerprints={signing_key.fingerprint})
    assert verify_bundle(out, pins).verdict == VALID
    return out, pins


def test_hostile_corpus_is_invalid_with_one_line_each(clean, tmp_path, runner):
    path, pins = clean
    corpus = build_corpus(path, tmp_path / "corpus")
    assert len(corpus) >= 30
    reasons = {}
    for name, bad in corpus:
        report = verify_bundle(bad, pins)
        assert report.verdict == INVALID, (name, report.verdict_line())
        line = report.verdict_line()
        assert "\n" not in line and len(line) < 600, name
        reasons[name] = line
    assert "path traversal" in reasons["zip slip ../"]
    assert "symbolic link" in reasons["symlink"]
    assert "compression ratio" in reasons["zip bomb events.ndjson"]
    assert "entries" in reasons["a billion entries claimed"]
    assert "nested too deeply" in reasons["deep JSON manifest"]
    assert "duplicate" in reasons["duplicate manifest"]
    assert "is not int" in reasons["seq is a string"]
    # Through the CLI too: the verdict first, exit 1, no traceback.
    for name, bad in corpus[:12]:
        result = runner.invoke(args=["verify", str(bad), "--trusted-key",
                                     next(iter(pins.fingerprints))])
        assert result.exit_code == 1 and result.output.startswith("INVALID: "), name
        assert "Traceback" not in result.output and result.exception is None or \
            isinstance(result.exception, SystemExit), name


def test_entry_count_is_read_before_the_central_directory(clean, tmp_path):
    path, pins = clean
    report = verify_bundle(path, pins, limits=Limits(max_entries=5))
    assert report.verdict == INVALID and "more than the limit of 5" in report.reason


def _rezip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


# Members whose every byte matters: a change must never leave the bundle VALID.
# (manifest.json and vN.policy.json are indented JSON: some whitespace edits are harmless.)
def _strict(name: str) -> bool:
    return name != "manifest.json" and not name.endswith(".policy.json")


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_bundles_never_crash_and_never_pass(clean, tmp_path_factory, data):
    path, pins = clean
    with zipfile.ZipFile(path) as zf:
        members = [(i.filename, zf.read(i.filename)) for i in zf.infolist()]
    index = data.draw(st.integers(0, len(members) - 1), label="member")
    name, body = members[index]
    how = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate", "replace",
                                     "drop", "zipbytes"]), label="how")
    out = tmp_path_factory.mktemp("mut") / "m.zip"
    if how == "zipbytes":
        raw = bytearray(path.read_bytes())
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
        out.write_bytes(bytes(raw))
    else:
        if how == "drop":
            changed = None
        elif not body:
            changed = data.draw(st.binary(min_size=1, max_size=40))
        else:
            at = data.draw(st.integers(0, len(body) - 1))
            if how == "flip":
                changed = body[:at] + bytes([body[at] ^ data.draw(st.integers(1, 255))]) + \
                    body[at + 1:]
            elif how == "insert":
                changed = body[:at] + data.draw(st.binary(min_size=1, max_size=8)) + body[at:]
            elif how == "delete":
                changed = body[:at] + body[at + 1:]
            elif how == "truncate":
                changed = body[:at]
            else:
                changed = data.draw(st.one_of(
                    st.binary(max_size=64),
                    st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                                 lambda c: st.lists(c) | st.dictionaries(st.text(), c),
                                 max_leaves=20).map(lambda v: repr(v).encode())))
        rebuilt = [(n, changed if n == name else b) for n, b in members
                   if not (n == name and changed is None)]
        out.write_bytes(_rezip(rebuilt))
    report = verify_bundle(out, pins)  # must not raise
    assert report.verdict in VERDICTS
    assert "\n" not in report.verdict_line()
    if how != "zipbytes" and _strict(name) and (how == "drop" or changed != body):
        assert report.verdict != VALID, (name, how, report.verdict_line())
