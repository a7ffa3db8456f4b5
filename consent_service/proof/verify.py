"""Verify a site's consent chain, live in the database or inside a proof bundle.

A bundle is hostile input: nothing is extracted, every size is bounded before it is read,
every JSON value is type-checked, and whatever goes wrong ends as INVALID with a one-line
reason. The verdict (docs/proof.md section 3) is VALID only when every event is covered by
a seal whose signature checks with a pinned key and every file agrees with the others."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from ..security import canonical_hash, canonical_json
from ..services.policies import banner_hashes, content_hash
from ..services.sites import GENESIS_HASH
from .merkle import Frontier
from .records import PolicyInfo

MAX_KEPT = 1000
VALID, INVALID, UNPINNED, UNSEALED = "VALID", "INVALID", "UNPINNED KEY", "UNSEALED TAIL"
EXIT_CODES = {VALID: 0, INVALID: 1, UNPINNED: 3, UNSEALED: 4}
HEX64 = re.compile(r"[0-9a-f]{64}")
FINGERPRINT = re.compile(r"(?:sha256:)?([0-9a-fA-F]{64})")


@dataclass(frozen=True)
class Limits:
    max_entries: int = 300_000
    max_central_directory: int = 64 << 20
    max_entry: int = 64 << 20
    max_events_entry: int = 8 << 30
    max_total: int = 16 << 30
    max_ratio: int = 200
    ratio_floor: int = 64 << 10
    max_line: int = 1 << 20
    max_small: int = 4 << 20  # manifest, policies, seals, keys, sums line
    max_depth: int = 64


class BundleError(Exception):
    """A bundle that cannot be read as one: its message is the one-line reason."""


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
    sealed_to: int | None = None  # the largest tree size a checked seal covers
    seal_fingerprints: set = field(default_factory=set)
    pinned: bool = False
    witnessed: int = 0
    live: bool = False  # the database's own chain: empty is simply valid

    @property
    def ok(self) -> bool:
        return not self.counts

    def fail(self, kind: str, message: str, seq=None, event_id=None) -> None:
        self.counts[kind] += 1
        if len(self.problems) < MAX_KEPT:
            self.problems.append(Problem(kind, _one_line(message), seq, event_id))

    @property
    def verdict(self) -> str:
        if self.counts:
            return INVALID
        if self.sealed_to is not None and not self.pinned:
            return UNPINNED
        if self.live and not self.events:
            return VALID
        if not self.events or self.sealed_to is None or self.sealed_to < (self.last_seq or 0):
            return UNSEALED
        return VALID

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    @property
    def reason(self) -> str:
        v = self.verdict
        if v == INVALID:
            first = self.problems[0] if self.problems else Problem("format", "unknown")
            total = sum(self.counts.values())
            more = f" (and {total - 1} more failures)" if total > 1 else ""
            return _one_line(str(first)[len("FAIL "):]) + more
        if v == UNPINNED:
            fps = ", ".join(sorted(self.seal_fingerprints))
            tail = (f"; and events seq {self.sealed_to + 1}..{self.last_seq} are after the "
                    "last seal" if self.sealed_to < (self.last_seq or 0) else "")
            return (f"valid only if you trust key {fps}: obtain the service's fingerprint "
                    f"independently (README.txt) and pass --trusted-key FINGERPRINT{tail}")
        if v == UNSEALED:
            if not self.events:
                return "this bundle holds no events: nothing is proven"
            if self.sealed_to is None:
                return (f"no seal covers any of the {self.events} events (seq "
                        f"{self.first_seq}..{self.last_seq})")
            return (f"events seq {self.sealed_to + 1}..{self.last_seq} "
                    f"({self.last_seq - self.sealed_to}) are after the last seal (tree_size "
                    f"{self.sealed_to}); the events up to it check with a pinned key")
        witnessed = f", {self.witnessed} witness heads agree" if self.witnessed else ""
        return (f"site {self.site_key}, {self.events} events (seq {self.first_seq}.."
                f"{self.last_seq}), all covered by {self.seals_checked} seals signed by "
                f"pinned key {', '.join(sorted(self.seal_fingerprints))}{witnessed}")

    def verdict_line(self) -> str:
        return f"{self.verdict}: {self.reason}"

    def as_dict(self) -> dict:
        return {"ok": self.verdict == VALID, "verdict": self.verdict, "reason": self.reason,
                "site_key": self.site_key, "events": self.events,
                "first_seq": self.first_seq, "last_seq": self.last_seq,
                "seals_checked": self.seals_checked, "failures": dict(self.counts),
                "problems": [str(p) for p in self.problems], "notes": self.notes}


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


class ChainChecker:
    """Feed records in seq order; checks hashes, linkage, the policy each names, and keeps
    the Merkle frontier so roots at the wanted tree sizes can be compared."""

    def __init__(self, report: Report, policy_of, seal_seqs: set[int],
                 frontier: Frontier | None = None, root_sizes: set[int] | None = None):
        self.r = report
        self.policy_of = policy_of
        self.seal_seqs = seal_seqs
        self.sealed_hashes: dict[int, str] = {}
        self.prev: tuple[int, str, str] | None = None  # seq, event_hash, event_id
        self.bad_policies: set[int] = set()
        self.frontier = frontier
        self.root_sizes = root_sizes or set()
        self.roots: dict[int, str] = {}
        if frontier is not None and frontier.size in self.root_sizes and frontier.size:
            self.roots[frontier.size] = frontier.root().hex()

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
        if self.frontier is not None:
            self.frontier.append(stored_hash)
            if self.frontier.size in self.root_sizes:
                self.roots[self.frontier.size] = self.frontier.root().hex()
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


# --- seals, shared by the live and the bundle check ------------------------------------

@dataclass
class SealDoc:
    """A parsed seal: a signed tree head, or a seal from before tree heads (root None)."""

    size: int
    head_hash: str
    root_hash: str | None
    site_key: str
    key_id: str
    fingerprint: str | None
    payload: bytes
    signature: bytes
    where: str


def parse_payload(payload: bytes, signature: bytes, where: str) -> SealDoc:
    from .seals import HEAD_TYPE, SEAL_TYPE

    doc = _loads(payload, where)
    if not isinstance(doc, dict) or not _depth_ok(doc, 4) or canonical_json(doc) != payload:
        raise BundleError(f"{where}: not a canonical JSON seal payload")
    kind = doc.get("type")
    if kind == HEAD_TYPE:
        want = {"type", "site_key", "tree_size", "root_hash", "head_hash", "timestamp",
                "key_fingerprint"}
    elif kind == SEAL_TYPE:
        want = {"type", "site_key", "seq", "head_hash", "sealed_at", "key_id"}
    else:
        raise BundleError(f"{where}: unknown seal type {str(kind)[:40]!r}")
    if set(doc) != want:
        raise BundleError(f"{where}: seal payload fields are not {sorted(want)}")
    size = doc.get("tree_size", doc.get("seq"))
    if not _is_int(size) or size < 1:
        raise BundleError(f"{where}: tree size is not a positive integer")
    if not _is_hex64(doc["head_hash"]) or (kind == HEAD_TYPE and not _is_hex64(doc["root_hash"])):
        raise BundleError(f"{where}: head_hash/root_hash is not 64 hex")
    if not isinstance(doc["site_key"], str):
        raise BundleError(f"{where}: site_key is not a string")
    if kind == HEAD_TYPE:
        fp = doc["key_fingerprint"]
        if not isinstance(fp, str) or not re.fullmatch(r"sha256:[0-9a-f]{64}", fp) or \
                not isinstance(doc["timestamp"], str):
            raise BundleError(f"{where}: key_fingerprint or timestamp malformed")
        key_id = fp[7:23]
    else:
        fp = None
        key_id = doc["key_id"]
        if not isinstance(key_id, str) or not re.fullmatch(r"[0-9a-f]{16}", key_id):
            raise BundleError(f"{where}: key_id malformed")
    if len(signature) != 64:
        raise BundleError(f"{where}: the signature is not 64 bytes")
    return SealDoc(size, doc["head_hash"], doc.get("root_hash"), doc["site_key"], key_id, fp,
                   payload, signature, where)


def check_seals(report: Report, checker: ChainChecker, seals: list[SealDoc],
                keys: dict[str, tuple[Ed25519PublicKey, str]],
                pins: set[str] | None) -> None:
    """Signature, key, pin, head and root of each seal; sets report.sealed_to."""
    from .seals import check_signature

    for seal in seals:
        report.seals_checked += 1
        where = seal.where
        key = keys.get(seal.key_id)
        if key is None:
            report.fail("seal", f"{where}: signed by key {seal.fingerprint or seal.key_id}, "
                        "whose public key is not here", seal.size)
            continue
        public, fp = key
        if seal.fingerprint is not None and seal.fingerprint != fp:
            report.fail("seal", f"{where}: names key {seal.fingerprint}, not {fp}", seal.size)
            continue
        if not check_signature(public, seal.payload,
                               base64.b64encode(seal.signature).decode()):
            report.fail("seal", f"{where}: bad signature", seal.size)
            continue
        report.seal_fingerprints.add(fp)
        if pins is not None and fp not in pins:
            report.fail("seal", f"{where}: signed by key {fp}, which is not a pinned key "
                        "(re-signed with another key?)", seal.size)
            continue
        if seal.site_key != report.site_key:
            report.fail("seal", f"{where}: names site {seal.site_key[:40]}", seal.size)
            continue
        have = checker.sealed_hashes.get(seal.size)
        if have is None:
            report.fail("seal", f"{where}: no event at tree_size {seal.size} here "
                        "(events deleted?)", seal.size)
            continue
        if have != seal.head_hash:
            report.fail("seal", f"{where}: signed head {seal.head_hash[:16]}… but the event "
                        f"there hashes to {have[:16]}… (chain rewritten)", seal.size)
            continue
        if seal.root_hash is not None:
            root = checker.roots.get(seal.size)
            if root is None:
                report.fail("seal", f"{where}: the Merkle root cannot be recomputed",
                            seal.size)
                continue
            if root != seal.root_hash:
                report.fail("seal", f"{where}: signed root {seal.root_hash[:16]}… but the "
                            f"events give {root[:16]}… (chain rewritten)", seal.size)
                continue
        report.sealed_to = max(report.sealed_to or 0, seal.size)
    if pins is not None:
        report.pinned = True


def check_witness(report: Report, checker: ChainChecker, witness: dict, where: str,
                  keys: dict[str, tuple[Ed25519PublicKey, str]]) -> None:
    """Heads a witness kept: the bundle must give the same root and head at those sizes."""
    from .seals import check_signature, head_payload

    if not isinstance(witness, dict) or not isinstance(witness.get("heads"), list):
        report.fail("witness", f"{where}: not a witness file {{site_key, heads: [...]}}")
        return
    if witness.get("site_key") != report.site_key:
        report.fail("witness", f"{where}: is for site {str(witness.get('site_key'))[:40]}, "
                    f"not {report.site_key}")
        return
    lo = (report.first_seq or 1) - 1
    hi = report.last_seq or 0
    outside = 0
    for n, head in enumerate(witness["heads"], 1):
        if not isinstance(head, dict) or not _is_int(head.get("tree_size")) or \
                not _is_hex64(head.get("root_hash")):
            report.fail("witness", f"{where}: head {n} is not a head object")
            continue
        size = head["tree_size"]
        fp = head.get("key_fingerprint")
        key = keys.get(fp[7:23]) if isinstance(fp, str) and fp.startswith("sha256:") else None
        if key is not None and key[1] == fp and isinstance(head.get("head_hash"), str) and \
                isinstance(head.get("timestamp"), str):
            payload = head_payload(report.site_key, size, head["root_hash"],
                                   head["head_hash"], head["timestamp"], fp)
            if not check_signature(key[0], payload, head.get("signature")):
                report.fail("witness", f"{where}: head at tree_size {size} has a bad "
                            "signature (not a head the service signed)", size)
                continue
        if not (1 <= size and lo <= size <= hi):
            outside += 1
            continue
        root = checker.roots.get(size)
        if root is not None and root != head["root_hash"]:
            report.fail("witness", f"rewritten after a witnessed head: the witness kept root "
                        f"{head['root_hash'][:16]}… at tree_size {size}, the bundle's events "
                        f"give {root[:16]}…", size)
            continue
        have = checker.sealed_hashes.get(size)
        if "head_hash" in head and have is not None and have != head["head_hash"]:
            report.fail("witness", f"rewritten after a witnessed head: the witness kept head "
                        f"{str(head['head_hash'])[:16]}… at tree_size {size}, the bundle has "
                        f"{have[:16]}…", size)
            continue
        report.witnessed += 1
    if outside:
        report.notes.append(f"{where}: {outside} witness heads lie outside this bundle's "
                            f"range (tree sizes {lo}..{hi}): not checked")


# --- the live chain --------------------------------------------------------------------

def verify_site(site, witnesses: list[tuple[str, dict]] = ()) -> Report:
    """The live chain: every event, policy, seal (signature, head, root) and the head row.
    The keys are the database's own, so they count as pinned."""
    from ..extensions import db
    from ..models import ChainHead
    from ..services.consents import chain_record, personal_digest
    from .models import ChainSeal
    from .records import Policies, iter_events
    from .seals import fingerprint_of, payload_of, public_keys

    site_key, site_id = site.site_key, site.id
    report = Report(site_key=site_key, live=True)
    head = db.session.get(ChainHead, site_id)
    head_seq, head_hash = (head.seq, head.head_hash) if head else (0, GENESIS_HASH)
    seals = []
    for s in db.session.scalars(select(ChainSeal).where(ChainSeal.site_id == site_id)
                                .order_by(ChainSeal.seq, ChainSeal.id)):
        try:
            seals.append(parse_payload(payload_of(s, site_key),
                                       base64.b64decode(s.signature),
                                       f"seal {s.id} of tree_size {s.seq}"))
        except (BundleError, ValueError) as exc:
            report.fail("seal", str(exc), s.seq)
    keys = {kid: (k, fingerprint_of(k)) for kid, k in public_keys().items()}
    sizes = {s.size for s in seals} | _witness_sizes(witnesses)
    policies = Policies(site_id)
    checker = ChainChecker(report, policies.get, {s.size for s in seals} | sizes,
                           Frontier(), sizes)
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
    check_seals(report, checker, seals, keys, {fp for _k, fp in keys.values()})
    for where, witness in witnesses:
        check_witness(report, checker, witness, where, keys)
    return report


def _witness_sizes(witnesses) -> set[int]:
    sizes = set()
    for _where, witness in witnesses:
        heads = witness.get("heads") if isinstance(witness, dict) else None
        for head in heads if isinstance(heads, list) else []:
            if isinstance(head, dict) and _is_int(head.get("tree_size")):
                sizes.add(head["tree_size"])
    return sizes


# --- the bundle ------------------------------------------------------------------------

NAME_PATTERNS = {
    "event": re.compile(r"events/(\d{12})\.json"),
    "policy": re.compile(r"policies/v(\d{1,9})\.policy\.json"),
    "content": re.compile(r"policies/v(\d{1,9})\.content\.json"),
    "banner": re.compile(r"policies/v(\d{1,9})\.banner\.([a-z]{2,8})\.json"),
    "payload": re.compile(r"seals/(\d{12})-(\d{1,19})\.payload"),
    "sig": re.compile(r"seals/(\d{12})-(\d{1,19})\.sig"),
    "key": re.compile(r"keys/([0-9a-f]{16})\.pem"),
}
FIXED = {"manifest.json", "events.ndjson", "SHA256SUMS", "README.txt", "verify.sh",
         "seals.json"}
DIRS = {"events/", "policies/", "seals/", "keys/"}
RECORD_TYPES = {"v": int, "site_key": str, "seq": int, "event_id": str, "receipt_id": str,
                "policy_version": int, "policy_hash": str, "action": str, "choices": dict,
                "language": str, "banner_hash": str, "gpc": bool, "recorded_at": str,
                "personal_hash": str, "prev_hash": str}


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_hex64(v) -> bool:
    return isinstance(v, str) and HEX64.fullmatch(v) is not None


def _loads(raw: bytes, where: str):
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise BundleError(f"{where}: JSON nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"{where}: not valid JSON ({_one_line(exc, 80)})") from None


def _depth_ok(value, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if d > limit:
            return False
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return True


def _entry_count(path: Path, limits: Limits) -> int:
    """Entries and central directory size from the end records, before zipfile reads the
    central directory (a million-entry zip would otherwise build a million ZipInfos)."""
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        tail_len = min(size, 65535 + 22)
        fh.seek(size - tail_len)
        tail = fh.read(tail_len)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            raise BundleError("not a zip file (no end of central directory record)")
        (_sig, _disk, _cd_disk, _n_disk, entries, cd_size, cd_offset,
         _clen) = struct.unpack("<IHHHHIIH", tail[at:at + 22])
        if entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
            loc = tail.rfind(b"PK\x06\x07", 0, at)
            if loc < 0:
                raise BundleError("zip64 end record is missing")
            (_s, _d, z64_offset, _t) = struct.unpack("<IIQI", tail[loc:loc + 20])
            if z64_offset > size - 56:
                raise BundleError("zip64 end record points outside the file")
            fh.seek(z64_offset)
            rec = fh.read(56)
            if rec[:4] != b"PK\x06\x06":
                raise BundleError("zip64 end record is damaged")
            entries, cd_size = struct.unpack("<QQ", rec[32:48])
    if entries > limits.max_entries:
        raise BundleError(f"{entries} entries: more than the limit of {limits.max_entries}")
    if cd_size > limits.max_central_directory:
        raise BundleError(f"central directory of {cd_size} bytes is over the limit")
    return entries


class BundleReader:
    """Names checked and sizes bounded before anything is read."""

    def __init__(self, zf: zipfile.ZipFile, limits: Limits):
        self.zf, self.limits = zf, limits
        self.kinds: dict[str, list] = {k: [] for k in NAME_PATTERNS}
        self.infos: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in zf.infolist():
            name = info.filename
            if name in self.infos:
                raise BundleError(f"duplicate entry {name[:80]!r}")
            if "\\" in name or name.startswith("/") or ".." in name.split("/") or \
                    ":" in name or "\x00" in name or not name.isprintable():
                raise BundleError(f"unsafe entry name {name[:80]!r} (path traversal)")
            mode = (info.external_attr >> 16) & 0o170000
            if mode == 0o120000:
                raise BundleError(f"{name[:80]!r} is a symbolic link")
            if mode not in (0, 0o100000, 0o040000):
                raise BundleError(f"{name[:80]!r} is not a regular file")
            if info.flag_bits & 0x1:
                raise BundleError(f"{name[:80]!r} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise BundleError(f"{name[:80]!r}: compression method {info.compress_type}")
            if name.endswith("/"):
                if name not in DIRS or info.file_size:
                    raise BundleError(f"unexpected directory {name[:80]!r}")
                self.infos[name] = info
                continue
            cap = self.limits.max_events_entry if name == "events.ndjson" else \
                self.limits.max_entry
            if info.file_size > cap:
                raise BundleError(f"{name[:80]} is {info.file_size} bytes uncompressed, "
                                  f"over the limit of {cap}")
            if info.file_size > limits.ratio_floor and \
                    info.file_size > max(info.compress_size, 1) * limits.max_ratio:
                raise BundleError(f"{name[:80]} expands {info.file_size} / "
                                  f"{info.compress_size} bytes: over the compression ratio "
                                  f"limit of {limits.max_ratio}:1 (zip bomb?)")
            total += info.file_size
            if total > limits.max_total:
                raise BundleError(f"over {limits.max_total} bytes uncompressed in total")
            if name not in FIXED:
                for kind, pattern in NAME_PATTERNS.items():
                    m = pattern.fullmatch(name)
                    if m:
                        self.kinds[kind].append((name, m.groups()))
                        break
                else:
                    raise BundleError(f"unexpected file {name[:80]!r}")
            self.infos[name] = info

    def has(self, name: str) -> bool:
        return name in self.infos

    def read(self, name: str, limit: int | None = None) -> bytes:
        limit = limit or self.limits.max_small
        if name not in self.infos:
            raise BundleError(f"{name} is missing")
        with self.zf.open(self.infos[name]) as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise BundleError(f"{name} is over {limit} bytes")
        return data

    def json(self, name: str):
        value = _loads(self.read(name), name)
        if not _depth_ok(value, self.limits.max_depth):
            raise BundleError(f"{name}: JSON nested too deeply")
        return value


@dataclass
class Pins:
    """Keys the reader trusts, obtained outside the bundle."""

    fingerprints: set[str] = field(default_factory=set)
    keys: dict[str, tuple[Ed25519PublicKey, str]] = field(default_factory=dict)


def parse_pin(value: str) -> Pins:
    """--trusted-key FILE|FINGERPRINT: a PEM public key file, or sha256:<64 hex>."""
    from .seals import fingerprint_of, key_id_of

    pins = Pins()
    path = Path(value)
    if path.is_file():
        key = serialization.load_pem_public_key(path.read_bytes()[:16384])
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{value}: not an Ed25519 public key")
        fp = fingerprint_of(key)
        pins.fingerprints.add(fp)
        pins.keys[key_id_of(key)] = (key, fp)
        return pins
    m = FINGERPRINT.fullmatch(value.strip())
    if not m:
        raise ValueError(f"{value}: neither a key file nor a fingerprint sha256:<64 hex>")
    pins.fingerprints.add("sha256:" + m.group(1).lower())
    return pins


def merge_pins(items: list[Pins]) -> Pins:
    out = Pins()
    for p in items:
        out.fingerprints |= p.fingerprints
        out.keys.update(p.keys)
    return out


def verify_bundle(path: str | Path, pins: Pins | list | None = None,
                  witnesses: list[tuple[str, dict]] = (), limits: Limits = Limits()) -> Report:
    """A proof bundle zip, offline. Never raises on a bad bundle: INVALID + reason."""
    if isinstance(pins, list):  # a list of --trusted-key values
        pins = merge_pins([parse_pin(str(p)) for p in pins]) if pins else None
    report = Report()
    try:
        _verify_bundle(Path(path), pins, list(witnesses), limits, report)
    except BundleError as exc:
        report.fail("format", str(exc))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        report.fail("format", f"damaged zip: {_one_line(exc, 120)}")
    except (RecursionError, MemoryError):
        report.fail("format", "input nested too deeply or too large to check")
    except Exception as exc:  # noqa: BLE001 - hostile input: a verdict, never a traceback
        report.fail("format", f"not a readable proof bundle ({type(exc).__name__}: "
                    f"{_one_line(exc, 120)})")
    return report


def _verify_bundle(path: Path, pins: Pins | None, witnesses, limits: Limits,
                   report: Report) -> None:
    from .seals import fingerprint_of, key_id_of
    from .texts import known_text

    _entry_count(path, limits)
    with zipfile.ZipFile(path) as zf:
        b = BundleReader(zf, limits)
        manifest = b.json("manifest.json")
        if not isinstance(manifest, dict) or not isinstance(manifest.get("site_key"), str):
            raise BundleError("manifest.json is not an object with a site_key")
        fmt = manifest.get("format")
        v2 = fmt == "consent-service proof bundle v2"
        if not v2 and fmt != "consent-service proof bundle v1":
            raise BundleError(f"unknown bundle format {str(fmt)[:60]!r}")
        report.site_key = manifest["site_key"]
        for name in ("README.txt", "verify.sh"):
            if v2 and not known_text(name, b.read(name)):
                report.fail("files", f"{name} is not the text consent-service writes "
                            "(changed: do not follow it)")
        policies = _bundle_policies(b, report)
        # Keys in the bundle can check signatures, but only pins make them trusted.
        keys: dict[str, tuple[Ed25519PublicKey, str]] = {}
        for name, (kid,) in b.kinds["key"]:
            key = serialization.load_pem_public_key(b.read(name, 16384))
            if not isinstance(key, Ed25519PublicKey) or key_id_of(key) != kid:
                raise BundleError(f"{name}: not the Ed25519 key its name says")
            keys[kid] = (key, fingerprint_of(key))
        if pins is not None:
            keys.update(pins.keys)
        seals = _bundle_seals(b, report)
        prefix = manifest.get("merkle_prefix")
        frontier = None
        if prefix is not None:
            if not isinstance(prefix, dict) or not _is_int(prefix.get("tree_size")) or \
                    not isinstance(prefix.get("frontier"), list) or \
                    not all(_is_hex64(h) for h in prefix["frontier"]):
                raise BundleError("manifest.json: merkle_prefix malformed")
            frontier = Frontier.from_hex(prefix["tree_size"], prefix["frontier"])
        elif any(s.root_hash for s in seals):
            raise BundleError("manifest.json has no merkle_prefix but seals have roots")
        sizes = {s.size for s in seals}
        wsizes = _witness_sizes(witnesses)
        checker = ChainChecker(report, policies.get, sizes | wsizes, frontier,
                               sizes | wsizes)
        event_files = {int(groups[0]) for _n, groups in b.kinds["event"]}
        _bundle_events(b, report, checker, frontier, event_files)
        if manifest.get("first_seq") != report.first_seq or \
                manifest.get("last_seq") != report.last_seq:
            report.fail("seq", f"manifest names seq {manifest.get('first_seq')}.."
                        f"{manifest.get('last_seq')} but the events run {report.first_seq}.."
                        f"{report.last_seq} (events deleted?)")
        if v2 and bool(manifest.get("event_files")) != bool(event_files or not report.events):
            report.fail("files", "manifest.json event_files does not match the events/ files")
        _check_sums(b, report, policies)
        check_seals(report, checker, seals, keys,
                    pins.fingerprints if pins is not None else None)
        for where, witness in witnesses:
            check_witness(report, checker, witness, where, keys)
        if v2 and manifest.get("unsealed_tail"):
            report.notes.append(f"manifest: the tail is unsealed: {manifest['unsealed_tail']}")


class _BundlePolicies:
    def __init__(self):
        self.by_version: dict[int, PolicyInfo] = {}
        self.files: dict[str, str] = {}  # expected SHA256SUMS lines: name -> hash

    def get(self, version):
        return self.by_version.get(version) if _is_int(version) else None


def _bundle_policies(b: BundleReader, report: Report) -> _BundlePolicies:
    out = _BundlePolicies()
    metas = {int(g[0]): n for n, g in b.kinds["policy"]}
    contents = {int(g[0]): n for n, g in b.kinds["content"]}
    if set(metas) != set(contents):
        raise BundleError("policies/: each version needs both .policy.json and .content.json")
    banners: dict[int, dict[str, str]] = {}
    for name, (ver, lang) in b.kinds["banner"]:
        banners.setdefault(int(ver), {})[lang] = name
    for version in sorted(metas):
        meta = b.json(metas[version])
        raw = b.read(contents[version])
        content = _loads(raw, contents[version])
        if not _depth_ok(content, b.limits.max_depth):
            raise BundleError(f"{contents[version]}: JSON nested too deeply")
        if not isinstance(meta, dict) or meta.get("version") != version or \
                not _is_hex64(meta.get("content_hash")):
            raise BundleError(f"{metas[version]}: version or content_hash malformed")
        if not isinstance(content, dict) or set(content) != {"categories", "services",
                                                             "banner"} or \
                not isinstance(content["banner"], dict) or \
                not isinstance(content["categories"], list) or \
                not isinstance(content["services"], list) or \
                not all(isinstance(t, dict) for t in content["banner"].values()):
            raise BundleError(f"{contents[version]}: not {{categories, services, banner}}")
        if canonical_json(content) != raw:
            report.fail("files", f"{contents[version]} is not canonical JSON")
        if "content" in meta and meta["content"] != content and \
                {k: meta["content"].get(k) for k in content} != content:
            report.fail("files", f"{metas[version]} content differs from "
                        f"{contents[version]}")
        hashes = banner_hashes(content)
        if "banner_hashes" in meta and meta["banner_hashes"] != hashes:
            report.fail("files", f"{metas[version]} banner_hashes differ from the texts")
        if set(banners.get(version, {})) != set(content["banner"]):
            report.fail("files", f"policy v{version}: banner files are not one per language "
                        "of its content")
        for lang, name in banners.get(version, {}).items():
            text = b.read(name)
            if lang not in content["banner"] or text != canonical_json(content["banner"][lang]):
                report.fail("files", f"{name} differs from the {lang} banner in "
                            f"{contents[version]}")
            out.files[name] = hashes.get(lang, "")
        computed = content_hash(content)
        out.files[contents[version]] = meta["content_hash"]
        out.by_version[version] = PolicyInfo(
            version=version, content=content, stored_hash=meta["content_hash"],
            computed_hash=computed, notice_hash=meta.get("notice_hash"),
            banner_hashes=hashes, published_at=None)
    for ver in banners:
        if ver not in metas:
            raise BundleError(f"banner files of policy v{ver}, which has no policy files")
    return out


def _bundle_seals(b: BundleReader, report: Report) -> list[SealDoc]:
    payloads = {g: n for n, g in b.kinds["payload"]}
    sigs = {g: n for n, g in b.kinds["sig"]}
    if set(payloads) != set(sigs):
        raise BundleError("seals/: every .payload needs its .sig and the other way round")
    seals = []
    for key in sorted(payloads, key=lambda g: (int(g[0]), int(g[1]))):
        name = payloads[key]
        seal = parse_payload(b.read(name, 4096), b.read(sigs[key], 4096), name)
        if seal.size != int(key[0]):
            raise BundleError(f"{name}: names tree_size {seal.size}, not {int(key[0])}")
        seals.append(seal)
    if b.has("seals.json"):  # v1 bundles: the same seals once more, as JSON
        listed = b.json("seals.json")
        if not isinstance(listed, list) or not all(isinstance(s, dict) for s in listed):
            raise BundleError("seals.json is not a list of seals")
        mine = sorted((s.payload, base64.b64encode(s.signature).decode()) for s in seals)
        theirs = sorted((str(s.get("payload", "")).encode(), str(s.get("signature", "")))
                        for s in listed)
        if mine != theirs:
            report.fail("files", "seals.json does not list the same seals as seals/")
    return seals


def _bundle_events(b: BundleReader, report: Report, checker: ChainChecker,
                   frontier: Frontier | None, event_files: set[int]) -> None:
    limits = b.limits
    first = True
    with b.zf.open(b.infos["events.ndjson"] if b.has("events.ndjson") else
                   _missing("events.ndjson")) as fh:
        n = 0
        while True:
            line = fh.readline(limits.max_line + 1)
            if not line:
                break
            n += 1
            if len(line) > limits.max_line:
                raise BundleError(f"events.ndjson line {n} is over {limits.max_line} bytes")
            if not line.endswith(b"\n"):
                raise BundleError(f"events.ndjson line {n} does not end with a newline")
            raw = line[:-1]
            record = _loads(raw, f"events.ndjson line {n}")
            if not _depth_ok(record, limits.max_depth):
                raise BundleError(f"events.ndjson line {n}: JSON nested too deeply")
            if not isinstance(record, dict) or not _is_hex64(record.get("event_hash")):
                raise BundleError(f"events.ndjson line {n} is not an event record")
            if canonical_json(record) != raw:
                report.fail("files", f"events.ndjson line {n} is not canonical JSON")
            stored = record.pop("event_hash")
            _check_record_types(record, n)
            seq = record["seq"]
            if first:
                first = False
                if frontier is not None and frontier.size != seq - 1:
                    raise BundleError(f"manifest merkle_prefix is for {frontier.size} events, "
                                      f"but the bundle starts at seq {seq}")
            checker.feed(record, stored)
            if event_files:
                name = f"events/{seq:012d}.json"
                if seq not in event_files:
                    report.fail("files", f"{name} is missing", seq)
                elif b.read(name, 65536) != canonical_json(record):
                    report.fail("files", f"events.ndjson line {n} differs from {name} "
                                "(events.ndjson re-chained or edited?)", seq)
    if event_files and len(event_files) != report.events:
        report.fail("files", f"{len(event_files)} files in events/ but {report.events} "
                    "events in events.ndjson")


def _missing(name):
    raise BundleError(f"{name} is missing")


def _check_record_types(record: dict, n: int) -> None:
    # "service" is in the record of embed events only (a string then).
    embed = record.get("action") == "embed"
    if (set(record) - {"service"} != set(RECORD_TYPES) or ("service" in record) != embed
            or not isinstance(record.get("service", ""), str)):
        raise BundleError(f"events.ndjson line {n}: fields are not the chain record's")
    for key, kind in RECORD_TYPES.items():
        value = record[key]
        if kind is int and not _is_int(value) or not isinstance(value, kind):
            raise BundleError(f"events.ndjson line {n}: {key} is not {kind.__name__}")
    if record["seq"] < 1:
        raise BundleError(f"events.ndjson line {n}: seq below 1")


def _check_sums(b: BundleReader, report: Report, policies: _BundlePolicies) -> None:
    """SHA256SUMS: what `sha256sum -c` checks by hand, and that it lists every file."""
    raw = b.read("SHA256SUMS", b.limits.max_entry)
    expected = set(policies.files) | {n for n, _g in b.kinds["event"]}
    listed: set[str] = set()
    for n, line in enumerate(raw.split(b"\n"), 1):
        if not line:
            continue
        text = line.decode("utf-8", "replace")
        digest, sep, name = text.partition("  ")
        if not sep or not HEX64.fullmatch(digest):
            raise BundleError(f"SHA256SUMS line {n} is not '<sha256>  <file>'")
        if name in listed:
            raise BundleError(f"SHA256SUMS lists {name[:80]} twice")
        listed.add(name)
        if name not in expected:
            report.fail("sums", f"SHA256SUMS lists {name[:80]}, which is not an event, "
                        "policy content or banner file of this bundle")
            continue
        if name in policies.files and policies.files[name] != digest:
            report.fail("sums", f"SHA256SUMS line of {name} is not its content/banner hash")
        h = hashlib.sha256()
        with b.zf.open(b.infos[name]) as member:
            for chunk in iter(lambda m=member: m.read(65536), b""):
                h.update(chunk)
        if h.hexdigest() != digest:
            seq = int(name[7:19]) if name.startswith("events/") else None
            report.fail("sums", f"{name} does not hash to its SHA256SUMS line", seq)
    for name in sorted(expected - listed)[:20]:
        report.fail("sums", f"{name} is not listed in SHA256SUMS")
