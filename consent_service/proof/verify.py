"""Verify a site's consent chain, live in the database or inside a proof bundle."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from ..extensions import db
from ..models import ChainHead, Site
from ..security import canonical_hash
from ..services.consents import chain_record, iso, personal_digest
from ..services.policies import banner_hashes, content_hash
from ..services.sites import GENESIS_HASH
from .models import ChainSeal
from .records import Policies, PolicyInfo, iter_events
from .seals import check_signature, key_id_of, public_keys, seal_payload

MAX_KEPT = 1000


@dataclass
class Problem:
    kind: str
    message: str
    seq: int | None = None
    event_id: str | None = None

    def __str__(self) -> str:
        where = []
        if self.seq is not None:
            where.append(f"seq {self.seq}")
        if self.event_id:
            where.append(f"event {self.event_id}")
        return f"FAIL [{self.kind}] {' '.join(where)}{': ' if where else ''}{self.message}"


@dataclass
class Report:
    site_key: str | None = None
    events: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    last_hash: str | None = None
    seals_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.counts

    def fail(self, kind: str, message: str, seq=None, event_id=None) -> None:
        self.counts[kind] += 1
        if len(self.problems) < MAX_KEPT:
            self.problems.append(Problem(kind, message, seq, event_id))

    def as_dict(self) -> dict:
        return {"ok": self.ok, "site_key": self.site_key, "events": self.events,
                "first_seq": self.first_seq, "last_seq": self.last_seq,
                "seals_checked": self.seals_checked, "failures": dict(self.counts),
                "problems": [str(p) for p in self.problems], "notes": self.notes}


class ChainChecker:
    """Feed records in file or seq order; checks hashes, linkage and the policy each names."""

    def __init__(self, report: Report, policy_of, seal_seqs: set[int]):
        self.r = report
        self.policy_of = policy_of
        self.seal_seqs = seal_seqs
        self.sealed_hashes: dict[int, str] = {}
        self.prev: tuple[int, str, str] | None = None  # seq, event_hash, event_id
        self.bad_policies: set[int] = set()

    def feed(self, record: dict, stored_hash: str) -> None:
        r = self.r
        seq, eid = record.get("seq"), record.get("event_id")
        r.events += 1
        computed = canonical_hash(record)
        if computed != stored_hash:
            r.fail("event-hash", f"stored hash {stored_hash[:16]}… but the record hashes to "
                   f"{computed[:16]}… (the record was changed)", seq, eid)
        if self.prev is None:
            r.first_seq = seq
            if seq == 1 and record.get("prev_hash") != GENESIS_HASH:
                r.fail("link", "the first event's prev_hash is not the genesis hash", seq, eid)
            elif seq != 1:
                r.notes.append(f"chain checked from seq {seq}; its prev_hash "
                               f"{record.get('prev_hash')} is the anchor")
        else:
            pseq, phash, peid = self.prev
            if seq != pseq + 1:
                if isinstance(seq, int) and seq > pseq + 1:
                    gap = f"{pseq + 1}" if seq == pseq + 2 else f"{pseq + 1}..{seq - 1}"
                    r.fail("seq", f"seq {gap} missing before this event (deleted?)", seq, eid)
                else:
                    r.fail("seq", f"out of order: follows seq {pseq} (event {peid})", seq, eid)
            if record.get("prev_hash") != phash:
                r.fail("link", f"prev_hash does not match the hash of the event before it "
                       f"(seq {pseq}, event {peid}): events deleted, inserted or reordered",
                       seq, eid)
        self.prev = (seq, stored_hash, eid)
        r.last_seq, r.last_hash = seq, stored_hash
        if seq in self.seal_seqs:
            self.sealed_hashes[seq] = stored_hash
        self._check_policy(record, seq, eid)

    def _check_policy(self, record: dict, seq, eid) -> None:
        version = record.get("policy_version")
        info: PolicyInfo | None = self.policy_of(version)
        if info is None:
            self.r.fail("policy", f"policy version {version} is missing", seq, eid)
            return
        if info.computed_hash != info.stored_hash and version not in self.bad_policies:
            self.bad_policies.add(version)
            self.r.fail("policy", f"policy version {version}: content hashes to "
                        f"{info.computed_hash[:16]}… not its content_hash "
                        f"{info.stored_hash[:16]}… (text changed)")
        if record.get("policy_hash") != info.computed_hash:
            self.r.fail("policy", f"policy_hash does not match the content of policy version "
                        f"{version} (policy text changed?)", seq, eid)
        lang = record.get("language")
        if info.banner_hashes.get(lang) != record.get("banner_hash"):
            self.r.fail("banner", f"banner_hash does not match the {lang} banner text of "
                        f"policy version {version}", seq, eid)


def check_seals(report: Report, checker: ChainChecker, seals: list[dict], keys: dict,
                trusted: set[str] | None = None) -> None:
    for seal in seals:
        report.seals_checked += 1
        seq, where = seal["seq"], f"seal of seq {seal['seq']} ({seal['sealed_at']})"
        payload = seal_payload(seal["site_key"], seq, seal["head_hash"], seal["sealed_at"],
                               seal["key_id"])
        key = keys.get(seal["key_id"])
        if key is None:
            report.fail("seal", f"{where}: unknown key {seal['key_id']}", seq)
        elif trusted is not None and seal["key_id"] not in trusted:
            report.fail("seal", f"{where}: key {seal['key_id']} is not a trusted key", seq)
        elif not check_signature(key, payload, seal["signature"]):
            report.fail("seal", f"{where}: bad signature", seq)
        if seal.get("site_key") != report.site_key:
            report.fail("seal", f"{where}: names site {seal.get('site_key')}", seq)
        have = checker.sealed_hashes.get(seq)
        if have is None:
            if report.last_seq is None or seq > report.last_seq or (
                    report.first_seq is not None and seq >= report.first_seq):
                report.fail("seal", f"{where}: no event with that seq (events deleted?)", seq)
        elif have != seal["head_hash"]:
            report.fail("seal", f"{where}: signed head {seal['head_hash'][:16]}… but the "
                        f"event there hashes to {have[:16]}… (chain rewritten)", seq)


def verify_site(site: Site) -> Report:
    """The live chain: every event, policy, seal and the chain head row."""
    site_key, site_id = site.site_key, site.id
    report = Report(site_key=site_key)
    head = db.session.get(ChainHead, site_id)
    head_seq, head_hash = (head.seq, head.head_hash) if head else (0, GENESIS_HASH)
    seals = [
        {"site_key": site_key, "seq": s.seq, "head_hash": s.head_hash,
         "sealed_at": iso(s.sealed_at), "key_id": s.key_id, "signature": s.signature}
        for s in db.session.scalars(select(ChainSeal).where(ChainSeal.site_id == site_id)
                                    .order_by(ChainSeal.seq, ChainSeal.id))
    ]
    keys = public_keys()
    policies = Policies(site_id)
    checker = ChainChecker(report, policies.get, {s["seq"] for s in seals})
    for row in iter_events(site_id, 1, head_seq):
        record = chain_record(row, site_key)
        checker.feed(record, row.event_hash)
        if row.purged_at is None:
            if personal_digest(row.page_url, row.client_ip, row.ua_family) != row.personal_hash:
                report.fail("personal", "page_url, client_ip or ua_family changed",
                            row.seq, str(row.event_id))
        elif row.page_url or row.client_ip or row.ua_family:
            report.fail("personal", "purged event still has personal fields",
                        row.seq, str(row.event_id))
    if report.last_seq is None and head_seq:
        report.fail("head", f"chain head says seq {head_seq} but there are no events")
    elif report.last_seq is not None and report.first_seq != 1:
        report.fail("seq", f"seq 1..{report.first_seq - 1} missing (deleted?)",
                    report.first_seq)
    if head_seq and report.last_seq is not None and (
            report.last_seq != head_seq or report.last_hash != head_hash):
        report.fail("head", f"chain head is seq {head_seq} ({head_hash[:16]}…) but the last "
                    f"event is seq {report.last_seq} ({report.last_hash[:16]}…): events "
                    "deleted from the end or the head moved")
    check_seals(report, checker, seals, keys)
    if not seals:
        report.notes.append("no seals yet: run `consent-service seal`")
    elif seals[-1]["seq"] < head_seq:
        report.notes.append(f"events after seq {seals[-1]['seq']} are not sealed yet")
    return report


def _policy_from_bundle(doc: dict) -> PolicyInfo:
    content = doc["content"]
    return PolicyInfo(version=doc["version"], content=content, stored_hash=doc["content_hash"],
                      computed_hash=content_hash(content), notice_hash=doc.get("notice_hash"),
                      banner_hashes=banner_hashes(content), published_at=None)


def verify_bundle(path: str | Path, trusted_keys: list[str] | None = None) -> Report:
    """A proof bundle zip, offline: nothing but the zip (and optionally pinned key PEMs)."""
    report = Report()
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        report.site_key = manifest["site_key"]
        policies = {}
        for name in sorted(n for n in names if n.startswith("policies/") and
                           n.endswith(".policy.json")):
            info = _policy_from_bundle(json.loads(zf.read(name)))
            policies[info.version] = info
        keys = {}
        for name in sorted(n for n in names if n.startswith("keys/") and n.endswith(".pem")):
            key = serialization.load_pem_public_key(zf.read(name))
            kid = name[len("keys/"):-len(".pem")]
            if key_id_of(key) != kid:
                report.fail("key", f"{name}: key id does not match the key")
            keys[kid] = key
        trusted = None
        if trusted_keys:
            trusted = {key_id_of(serialization.load_pem_public_key(Path(p).read_bytes()))
                       for p in trusted_keys}
        seals = json.loads(zf.read("seals.json"))
        checker = ChainChecker(report, policies.get, {s["seq"] for s in seals})
        with zf.open("events.ndjson") as fh:
            for n, line in enumerate(io.TextIOWrapper(fh, encoding="utf-8"), 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    stored = record.pop("event_hash")
                except (ValueError, KeyError, AttributeError):
                    report.fail("format", f"events.ndjson line {n} is not an event record")
                    continue
                checker.feed(record, stored)
        if manifest.get("first_seq") != report.first_seq or \
                manifest.get("last_seq") != report.last_seq:
            report.fail("seq", f"manifest names seq {manifest.get('first_seq')}.."
                        f"{manifest.get('last_seq')} but the events run {report.first_seq}.."
                        f"{report.last_seq} (events deleted?)")
        check_seals(report, checker, seals, keys, trusted)
        _check_sums(zf, names, report)
    return report


def _check_sums(zf: zipfile.ZipFile, names: set[str], report: Report) -> None:
    """SHA256SUMS: what `sha256sum -c` checks by hand, checked here the same way."""
    if "SHA256SUMS" not in names:
        report.fail("format", "SHA256SUMS is missing")
        return
    with zf.open("SHA256SUMS") as fh:
        for line in io.TextIOWrapper(fh, encoding="utf-8"):
            digest, _, name = line.rstrip("\n").partition("  ")
            if name not in names:
                report.fail("sums", f"{name} listed in SHA256SUMS is missing")
                continue
            h = hashlib.sha256()
            with zf.open(name) as member:
                for chunk in iter(lambda m=member: m.read(65536), b""):
                    h.update(chunk)
            if h.hexdigest() != digest:
                seq = None
                if name.startswith("events/"):
                    seq = int(name[len("events/"):].split(".")[0])
                report.fail("sums", f"{name} does not hash to its SHA256SUMS line", seq)
