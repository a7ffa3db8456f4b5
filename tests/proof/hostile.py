"""A corpus of hostile proof bundles, made from one clean bundle (tests and benchmark).

Each entry is (name, path): zip slip, symlinks, bombs, deep JSON, wrong types, duplicate
names, damaged zips and files that contradict each other. Every one must verify as
INVALID with a one-line reason, without a traceback and in bounded memory."""

from __future__ import annotations

import json
import struct
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

from consent_service.security import canonical_json


def _members(clean: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(clean) as zf:
        return [(i, zf.read(i.filename)) for i in zf.infolist()]


def _zip(path: Path, members, *, compress=zipfile.ZIP_DEFLATED) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are the point of some entries
        with zipfile.ZipFile(path, "w", compress) as zf:
            for info, data in members:
                if isinstance(info, str):
                    info = zipfile.ZipInfo(info)
                    info.compress_type = compress
                zf.writestr(info, data)
    return path


def _edit(clean: Path, out: Path, name: str, change: Callable[[bytes], bytes | None], *,
          stored: bool = False) -> Path:
    members = []
    for info, data in _members(clean):
        if info.filename == name:
            data = change(data)
            if data is None:
                continue
            if stored:  # past the compression-ratio check, to reach the JSON parser
                info = zipfile.ZipInfo(name)
                info.compress_type = zipfile.ZIP_STORED
        members.append((info, data))
    return _zip(out, members)


def _json_edit(fn):
    def change(data: bytes) -> bytes:
        doc = json.loads(data)
        fn(doc)
        return json.dumps(doc).encode()
    return change


def _first_line_edit(fn):
    def change(data: bytes) -> bytes:
        lines = data.split(b"\n")
        rec = json.loads(lines[0])
        fn(rec)
        lines[0] = json.dumps(rec, sort_keys=True, separators=(",", ":")).encode()
        return b"\n".join(lines)
    return change


def _deep(n: int) -> bytes:
    return b"[" * n + b"]" * n


def _many_entries_claimed(clean: Path, out: Path) -> Path:
    """A zip whose zip64 end record claims a billion entries."""
    data = clean.read_bytes()
    at = data.rfind(b"PK\x05\x06")
    (_sig, _d, _cd, _nd, _n, cd_size, cd_offset, _cl) = struct.unpack("<IHHHHIIH",
                                                                       data[at:at + 22])
    body = data[:at]
    z64_at = len(body)
    z64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 10**9, 10**9,
                      cd_size, cd_offset)
    loc = struct.pack("<IIQI", 0x07064B50, 0, z64_at, 1)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                       0xFFFFFFFF, 0)
    out.write_bytes(body + z64 + loc + eocd)
    return out


def build_corpus(clean: Path, folder: Path) -> list[tuple[str, Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    members = _members(clean)
    names = [i.filename for i, _ in members]
    event_file = next(n for n in names if n.startswith("events/"))
    payload = next(n for n in names if n.endswith(".payload"))
    sig = next(n for n in names if n.endswith(".sig"))
    key = next(n for n in names if n.startswith("keys/"))
    content = next(n for n in names if n.endswith(".content.json"))
    p = folder.joinpath
    out: list[tuple[str, Path]] = []

    def add(name: str, path: Path) -> None:
        out.append((name, path))

    p("random.zip").write_bytes(bytes(range(256)) * 64)
    add("not a zip", p("random.zip"))
    p("empty.zip").write_bytes(b"")
    add("empty file", p("empty.zip"))
    raw = clean.read_bytes()
    p("truncated.zip").write_bytes(raw[: len(raw) // 2])
    add("truncated", p("truncated.zip"))
    flipped = bytearray(raw)
    flipped[len(raw) // 3] ^= 0xFF
    p("flipped.zip").write_bytes(bytes(flipped))
    add("byte flipped (CRC)", p("flipped.zip"))
    add("zip slip ../", _zip(p("slip.zip"), [*members, ("../../evil.json", b"{}")]))
    add("absolute name", _zip(p("abs.zip"), [*members, ("/etc/cron.d/x", b"x")]))
    add("backslash name", _zip(p("bslash.zip"), [*members, ("..\\..\\evil", b"x")]))
    add("NUL in name", _zip(p("nul.zip"), [*members, ("events/a\x00.json", b"x")]))
    link = zipfile.ZipInfo("keys/0000000000000000.pem")
    link.external_attr = (0o120777 << 16)
    add("symlink", _zip(p("symlink.zip"), [*members, (link, b"/etc/passwd")]))
    linked = [(i, d) for i, d in members if i.filename != event_file]
    slink = zipfile.ZipInfo(event_file)
    slink.external_attr = (0o120777 << 16)
    add("symlink instead of an event", _zip(p("symlink2.zip"), [*linked,
                                                                  (slink, b"/etc/passwd")]))
    bomb = [(i, d) for i, d in members if i.filename != "events.ndjson"]
    add("zip bomb events.ndjson", _zip(p("bomb.zip"), [*bomb, ("events.ndjson",
                                                               b"\n" * (200 << 20))]))
    small = [(i, d) for i, d in members if i.filename != "manifest.json"]
    add("zip bomb manifest", _zip(p("bomb2.zip"), [*small, ("manifest.json",
                                                             b" " * (100 << 20))]))
    add("ratio bomb event file", _edit(clean, p("bomb3.zip"), event_file,
                                       lambda d: b"0" * (8 << 20)))
    add("a billion entries claimed", _many_entries_claimed(clean, p("entries.zip")))
    add("deep JSON manifest", _edit(clean, p("deep1.zip"), "manifest.json",
                                    lambda d: _deep(200_000), stored=True))
    add("deep JSON events line", _edit(clean, p("deep2.zip"), "events.ndjson",
                                       lambda d: _deep(100_000) + b"\n" + d, stored=True))
    add("deep JSON seal payload", _edit(clean, p("deep3.zip"), payload,
                                        lambda d: _deep(3000)))
    add("deep JSON inside a record", _edit(clean, p("deep4.zip"), "events.ndjson",
                                           _first_line_edit(lambda r: r.update(
                                               choices=json.loads(_deep(400))))))
    add("manifest is a list", _edit(clean, p("t1.zip"), "manifest.json", lambda d: b"[]"))
    add("site_key is a number", _edit(clean, p("t2.zip"), "manifest.json",
                                      _json_edit(lambda m: m.update(site_key=7))))
    add("events line is a list", _edit(clean, p("t3.zip"), "events.ndjson",
                                       lambda d: b"[1,2]\n" + d))
    add("seq is a string", _edit(clean, p("t4.zip"), "events.ndjson",
                                 _first_line_edit(lambda r: r.update(seq="1"))))
    add("seq is a bool", _edit(clean, p("t5.zip"), "events.ndjson",
                               _first_line_edit(lambda r: r.update(seq=True))))
    add("choices is a list", _edit(clean, p("t6.zip"), "events.ndjson",
                                   _first_line_edit(lambda r: r.update(choices=[1]))))
    add("event_hash is a number", _edit(clean, p("t7.zip"), "events.ndjson",
                                        _first_line_edit(lambda r: r.update(event_hash=1))))
    add("tree_size is a string", _edit(clean, p("t8.zip"), payload, lambda d: canonical_json(
        {**json.loads(d), "tree_size": "9"})))
    add("signature of 3 bytes", _edit(clean, p("t9.zip"), sig, lambda d: b"abc"))
    add("policy content is a string", _edit(clean, p("t10.zip"), content,
                                            lambda d: b'"text"'))
    add("merkle_prefix wrong length", _edit(clean, p("t11.zip"), "manifest.json", _json_edit(
        lambda m: m.update(merkle_prefix={"tree_size": 0, "frontier": ["00" * 32]}))))
    add("merkle_prefix huge list", _edit(clean, p("t12.zip"), "manifest.json", _json_edit(
        lambda m: m.update(merkle_prefix={"tree_size": 5, "frontier": ["x"] * 100000}))))
    add("first_seq 10**400", _edit(clean, p("t13.zip"), "manifest.json",
                                   lambda d: d.replace(b'"first_seq": 1', b'"first_seq": 1'
                                                       + b"0" * 400)))
    add("key is not PEM", _edit(clean, p("k1.zip"), key, lambda d: b"not a key"))
    add("key is RSA", _edit(clean, p("k2.zip"), key, lambda d: _rsa_pem()))
    add("duplicate events.ndjson", _zip(p("dup1.zip"), [*members, ("events.ndjson",
                                                                   b"")]))
    add("duplicate manifest", _zip(p("dup2.zip"), [*members, ("manifest.json", b"{}")]))
    add("manifest missing", _edit(clean, p("m1.zip"), "manifest.json", lambda d: None))
    add("events.ndjson missing", _edit(clean, p("m2.zip"), "events.ndjson", lambda d: None))
    add("SHA256SUMS missing", _edit(clean, p("m3.zip"), "SHA256SUMS", lambda d: None))
    add("SHA256SUMS garbage", _edit(clean, p("m4.zip"), "SHA256SUMS",
                                    lambda d: b"\xff\xfe garbage\n" + d))
    add("signature file missing", _edit(clean, p("m5.zip"), sig, lambda d: None))
    add("one line of 2 MB", _edit(clean, p("l1.zip"), "events.ndjson",
                                  lambda d: b'{"a":"' + b"x" * (2 << 20) + b'"}\n' + d))
    add("no final newline", _edit(clean, p("l2.zip"), "events.ndjson", lambda d: d[:-1]))
    add("invalid UTF-8", _edit(clean, p("l3.zip"), "events.ndjson", lambda d: b"\xff" + d))
    add("unexpected file", _zip(p("x1.zip"), [*members, ("run-me.sh", b"rm -rf /")]))
    add("directory with data", _zip(p("x2.zip"), [*members, ("events/", b"data")]))
    add("verify.sh replaced", _edit(clean, p("x3.zip"), "verify.sh",
                                    lambda d: b"#!/bin/sh\necho VALID\n"))
    add("event file missing", _edit(clean, p("x4.zip"), event_file, lambda d: None))
    enc = bytearray(raw)
    at = enc.find(b"PK\x01\x02")  # the first central directory header: flags at +8
    enc[at + 8] |= 0x1
    p("x5.zip").write_bytes(bytes(enc))
    add("encrypted flag", p("x5.zip"))
    add("bzip2 members", _zip(p("x6.zip"), [(i.filename, d) for i, d in members],
                              compress=zipfile.ZIP_BZIP2))
    return out


def _rsa_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key(
    ).public_bytes(serialization.Encoding.PEM,
                   serialization.PublicFormat.SubjectPublicKeyInfo)
