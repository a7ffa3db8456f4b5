"""Files written into every proof bundle (kept here so they ship with the package)."""

README_TXT = r"""consent-service proof bundle
============================

This zip holds a site's consent records as a hash chain, the policy versions (banner
texts) they refer to, and Ed25519 signatures ("seals") over the chain head. Anyone can
check it without our software.

Files
-----
manifest.json             site, date range, seq range, counts
events.ndjson             one event per line: its chain record plus "event_hash"
events/<seq>.json         the chain record of each event as RFC 8785 canonical JSON;
                          its SHA-256 is the event_hash (absent in very large bundles)
policies/vN.policy.json   policy version N: content, content_hash, notice_hash,
                          banner_hashes
policies/vN.content.json  canonical JSON of {categories, services, banner}: its SHA-256
                          is content_hash = the policy_hash each event names
policies/vN.banner.LANG.json  canonical banner text shown in LANG: its SHA-256 is the
                          banner_hash each event in that language names
seals.json                every seal in the range: site_key, seq, head_hash, sealed_at,
                          key_id, signature (base64)
seals/<seq>-<id>.payload  the exact signed bytes of a seal (canonical JSON)
seals/<seq>-<id>.sig      the raw 64-byte Ed25519 signature
keys/<key_id>.pem         public key(s); compare with GET /api/v1/signing-keys of the
                          service (key_id = first 16 hex of SHA-256 of the raw key)
SHA256SUMS                expected hash of every event, policy and banner file
verify.sh                 the checks below in one script

The chain
---------
Each event's chain record contains "prev_hash", the event_hash of the event before it
(the first event of a site has 64 zeros), and "seq", counting 1, 2, 3... per site. So
editing, deleting, inserting or reordering an event breaks either a hash or a link, and
the seal, signed at the time, names the hash of the last event it covers.
Personal fields (page URL, truncated IP, browser family) are not in the record; only
their digest "personal_hash" is, so deleting them after the retention period leaves the
chain intact.

Checking by hand (sha256sum and openssl 3.0 or later)
-----------------------------------------------------
  unzip bundle.zip -d bundle && cd bundle
  sha256sum -c SHA256SUMS                               # every event, policy, banner
  openssl pkeyutl -verify -pubin -inkey keys/KEYID.pem -rawin \
      -in seals/SEAL.payload -sigfile seals/SEAL.sig    # each seal: "Signature Verified"
  sha256sum events/000000000042.json                    # = head_hash in a seal at seq 42
  grep -o '"prev_hash":"[0-9a-f]*"' events/000000000043.json   # = hash of event 42
or run all of it:  sh verify.sh

With consent-service installed:  consent-service verify bundle.zip
"""

VERIFY_SH = r"""#!/bin/sh
# Verify this proof bundle with sha256sum, openssl (3.0 or later), sed and diff only.
# Run it in the folder the zip was extracted to:  sh verify.sh
# Exit status 0: every check passed.
set -u
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "1. Event, policy and banner hashes (sha256sum -c SHA256SUMS)"
if sha256sum -c --quiet SHA256SUMS; then echo "   OK"; else fail=1; fi

echo "2. Chain links: each event's prev_hash is the SHA-256 of the event file before it"
if [ -d events ]; then
  grep '  events/' SHA256SUMS | cut -c1-64 | sed '$d' > "$tmp/hashes"
  find events -name '*.json' | sort | sed '1d' | xargs -r sed -n \
    's/.*"prev_hash":"\([0-9a-f]\{64\}\)".*/\1/p' | awk 1 > "$tmp/prev"
  if diff "$tmp/hashes" "$tmp/prev" > "$tmp/diff"; then echo "   OK"; else
    echo "   FAIL: links broken (line numbers count events from the second one):"
    cat "$tmp/diff"; fail=1
  fi
else
  echo "   skipped: this bundle has no per-event files (see README.txt)"
fi

echo "3. Seal signatures (openssl pkeyutl -verify) and the heads they name"
for payload in seals/*.payload; do
  [ -e "$payload" ] || { echo "   no seals in this bundle"; break; }
  base=${payload%.payload}
  key=$(sed -n 's/.*"key_id":"\([0-9a-f]*\)".*/\1/p' "$payload")
  if openssl pkeyutl -verify -pubin -inkey "keys/$key.pem" -rawin -in "$payload" \
      -sigfile "$base.sig" > /dev/null; then
    echo "   $payload: signature OK (key $key)"
  else
    echo "   FAIL: $payload: bad signature"; fail=1
  fi
  seq=$(sed -n 's/.*"seq":\([0-9]*\).*/\1/p' "$payload")
  head=$(sed -n 's/.*"head_hash":"\([0-9a-f]*\)".*/\1/p' "$payload")
  file=$(printf 'events/%012d.json' "$seq")
  if [ -d events ]; then
    if [ -f "$file" ] && [ "$(sha256sum "$file" | cut -c1-64)" = "$head" ]; then
      echo "   $payload: head is the hash of $file"
    else
      echo "   FAIL: $payload names head $head at seq $seq; $file differs or is missing"
      fail=1
    fi
  fi
done

if [ "$fail" = 0 ]; then echo "VALID"; else echo "INVALID"; fi
exit "$fail"
"""
