"""Files written into every proof bundle (kept here so they ship with the package)."""
# ruff: noqa: E501  (a shell script: its sed patterns do not wrap)

import hashlib

README_TXT = r"""consent-service proof bundle (format v2)
========================================

This zip holds a site's consent records as a hash chain, the policy versions (banner
texts) they refer to, and Ed25519-signed tree heads ("seals") over the chain. Anyone can
check it without our software. A bundle proves nothing by itself: a forger can write his
own keys into keys/. What makes it proof is the key fingerprint you obtain independently.

1. The key: obtain its fingerprint independently
------------------------------------------------
The fingerprint of the service's signing key is "sha256:" + the SHA-256 of the 32-byte
raw Ed25519 public key. Get it from a source the bundle's author does not control:
  - the service's published list, over https:
      https://<the consent service>/api/v1/signing-keys   (field "fingerprint")
  - the site owner: the WordPress plugin keeps every signed head it fetched hourly,
    each with its "key_fingerprint" (that file is also a witness, see 4.)
  - the operator's published statement or contract.
Then compare it with the key in this bundle:
  openssl pkey -pubin -in keys/KEYID.pem -outform DER | tail -c 32 | sha256sum

2. Files
--------
manifest.json             site, date range, seq range, counts, merkle_prefix,
                          unsealed_tail (set when the last events are not sealed)
events.ndjson             one event per line: its chain record plus "event_hash"
events/<seq>.json         the chain record of each event as RFC 8785 canonical JSON;
                          its SHA-256 is the event_hash (absent in very large bundles)
policies/vN.policy.json   policy version N: content_hash, notice_hash, published_at
policies/vN.content.json  canonical JSON of {categories, services, banner}: its SHA-256
                          is content_hash = the policy_hash each event names
policies/vN.banner.LANG.json  canonical banner text shown in LANG: its SHA-256 is the
                          banner_hash each event in that language names
seals/<size>-<id>.payload the exact signed bytes of a tree head (canonical JSON):
                          tree_size, root_hash, head_hash, timestamp, key_fingerprint
seals/<size>-<id>.sig     the raw 64-byte Ed25519 signature
keys/<key_id>.pem         public key(s) of those seals (key_id = first 16 hex of the
                          fingerprint); NOT a trust anchor, see 1.
SHA256SUMS                expected hash of every event, policy content and banner file
verify.sh                 the checks below in one script

3. Checking by hand (sha256sum and openssl 3.0 or later)
--------------------------------------------------------
  unzip bundle.zip -d bundle && cd bundle
  openssl pkey -pubin -in keys/KEYID.pem -outform DER | tail -c 32 | sha256sum
                                           # = the fingerprint you obtained (1.)
  sha256sum -c SHA256SUMS                  # every event, policy, banner file
  openssl pkeyutl -verify -pubin -inkey keys/KEYID.pem -rawin \
      -in seals/SEAL.payload -sigfile seals/SEAL.sig    # "Signature Verified Successfully"
  sha256sum events/000000000042.json       # = "head_hash" in a seal with tree_size 42
  grep -o '"prev_hash":"[0-9a-f]*"' events/000000000043.json   # = hash of event 42
The last seal's tree_size must be the last event's seq; events after it are unsealed.
Or run all of it, with the fingerprint from 1.:
  sh verify.sh sha256:<fingerprint> [--witness heads.json]
The first line is the verdict: VALID, INVALID: <reason>, UNPINNED KEY (no fingerprint
given) or UNSEALED TAIL (events after the last seal).

4. Witnesses
------------
The operator holds the database and the key, so it could rewrite history and sign it
again. A witness (the site owner's WordPress plugin, or any monitor of
GET /api/v1/sites/<site_key>/seals) keeps the signed heads as they were published. Pass
its file with --witness: a head the witness kept that this bundle contradicts means the
history was rewritten after the witness saw it.

5. The chain
------------
Each event's chain record contains "prev_hash", the event_hash of the event before it
(the first event of a site has 64 zeros), and "seq", counting 1, 2, 3... per site. So
editing, deleting, inserting or reordering an event breaks either a hash or a link, and
the seal, signed at the time, names the hash of the last event it covers and the RFC 9162
Merkle root over all events up to it.
Personal fields (page URL, truncated IP, browser family) are not in the record; only
their digest "personal_hash" is, so deleting them after the retention period leaves the
chain intact.

With consent-service installed:
  consent-service verify bundle.zip --trusted-key sha256:<fingerprint> [--witness FILE]
"""

VERIFY_SH = r"""#!/bin/sh
# Verify this proof bundle with sha256sum, openssl (3.0 or later), sed, awk, sort, cmp.
# Run it in the folder the zip was extracted to, with the fingerprint of the service's
# signing key, obtained independently of this bundle (README.txt, "1. The key"):
#   sh verify.sh sha256:<64 hex> [sha256:<64 hex> ...] [--witness heads.json]
# The first line printed is the verdict; exit status: VALID 0, INVALID 1, (2 usage),
# UNPINNED KEY 3 (no fingerprint given), UNSEALED TAIL 4 (events after the last seal).
set -u
LC_ALL=C
export LC_ALL
usage="usage: sh verify.sh sha256:<fingerprint>... [--witness FILE]"
pins=""
witness=""
while [ $# -gt 0 ]; do
  case "$1" in
    --witness)
      [ $# -ge 2 ] || { echo "$usage"; exit 2; }
      witness=$2; shift 2 ;;
    *)
      fp=$(printf '%s' "${1#sha256:}" | tr 'A-F' 'a-f')
      case "$fp" in *[!0-9a-f]*|"") echo "not a fingerprint: $1"; echo "$usage"; exit 2 ;; esac
      [ ${#fp} -eq 64 ] || { echo "not a fingerprint: $1"; echo "$usage"; exit 2; }
      pins="$pins $fp"; shift ;;
  esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log="$tmp/log"
: > "$log"
bad=0
reason=""
fail() {
  echo "   FAIL: $*" >> "$log"
  if [ "$bad" = 0 ]; then reason="$*"; fi
  bad=1
}
say() { echo "$*" >> "$log"; }
sha() { sha256sum "$1" | cut -c1-64; }

for f in manifest.json events.ndjson SHA256SUMS; do
  [ -f "$f" ] || fail "$f is missing"
done
if [ -n "$(find . -type l | head -1)" ]; then fail "the bundle contains symbolic links"; fi
site=$(sed -n 's/^ *"site_key": *"\([^"]*\)".*/\1/p' manifest.json 2>/dev/null | head -1)

say "1. Event, policy and banner hashes (sha256sum -c SHA256SUMS)"
if sha256sum -c --quiet --strict SHA256SUMS >> "$log" 2>&1; then say "   OK"; else
  fail "a file does not hash to its SHA256SUMS line"; fi
cut -c67- SHA256SUMS | sort > "$tmp/listed"
{ [ -d events ] && find events -type f; [ -d policies ] && find policies -type f \
  ! -name '*.policy.json'; } | sort > "$tmp/found"
if cmp -s "$tmp/listed" "$tmp/found"; then say "   SHA256SUMS lists exactly the files present"
else fail "SHA256SUMS does not list exactly the event, policy and banner files present"; fi

last=0
if [ -d events ]; then
  find events -name '*.json' | sort > "$tmp/files"
  say "2. Chain links: each event's prev_hash is the SHA-256 of the event file before it"
  grep '  events/' SHA256SUMS | sort -k2 | cut -c1-64 > "$tmp/sums"
  sed '$d' "$tmp/sums" > "$tmp/hashes"
  sed '1d' "$tmp/files" | xargs -r sed -n \
    's/.*"prev_hash":"\([0-9a-f]\{64\}\)".*/\1/p' | awk 1 > "$tmp/prev"
  if cmp -s "$tmp/hashes" "$tmp/prev"; then say "   OK"; else fail "chain links broken"; fi
  xargs -r sed -n 's/.*"seq":\([0-9]*\),.*/\1/p' < "$tmp/files" | awk 1 > "$tmp/seqs"
  sed 's|events/0*\([0-9][0-9]*\)\.json|\1|' "$tmp/files" > "$tmp/names"
  first=$(head -n 1 "$tmp/names")
  last=$(tail -n 1 "$tmp/names")
  awk -v f="${first:-1}" '{ if ($1 != f + NR - 1) exit 1 }' "$tmp/names" || \
    fail "seq numbers of events/ are not consecutive (events deleted?)"
  cmp -s "$tmp/seqs" "$tmp/names" || fail "an event file's seq is not the one in its name"
  if [ "${first:-0}" = 1 ] && ! grep -q '"prev_hash":"0\{64\}"' "$(head -n 1 "$tmp/files")"
  then fail "the first event's prev_hash is not the genesis hash"; fi

  say "3. events.ndjson is the same events as events/ (the file a reader opens)"
  sed 's/"event_hash":"[0-9a-f]\{64\}",//' events.ndjson > "$tmp/nd"
  xargs -r awk 1 < "$tmp/files" > "$tmp/ev"
  sed -n 's/.*"event_hash":"\([0-9a-f]\{64\}\)".*/\1/p' events.ndjson > "$tmp/ndhash"
  if cmp -s "$tmp/nd" "$tmp/ev" && cmp -s "$tmp/ndhash" "$tmp/sums"; then say "   OK"
  else fail "events.ndjson differs from events/ (re-chained or edited)"; fi

  say "4. Each event's policy_hash and banner_hash: the policy files of its version"
  sed -n 's/.*"banner_hash":"\([0-9a-f]*\)".*"language":"\([a-z]*\)".*"policy_hash":"\([0-9a-f]*\)","policy_version":\([0-9]*\),.*/\4 \3 \2 \1/p' \
    "$tmp/ev" | sort -u > "$tmp/pol"
  [ "$(wc -l < "$tmp/pol")" -ge 1 ] || [ ! -s "$tmp/ev" ] || fail "events name no policy"
  while read -r ver phash lang bhash; do
    c="policies/v$ver.content.json"; bn="policies/v$ver.banner.$lang.json"
    m="policies/v$ver.policy.json"
    if [ ! -f "$c" ] || [ "$(sha "$c")" != "$phash" ]; then
      fail "policy v$ver: $c is missing or is not the content the events name"; continue; fi
    if [ ! -f "$m" ] || ! grep -q "\"content_hash\": \"$phash\"" "$m"; then
      fail "policy v$ver: $m does not name content_hash $phash"; fi
    if [ ! -f "$bn" ] || [ "$(sha "$bn")" != "$bhash" ]; then
      fail "policy v$ver: $bn is missing or is not the banner the events name"; continue; fi
    grep -qF -e "\"$lang\":$(cat "$bn")" "$c" || fail "$bn differs from the banner in $c"
  done < "$tmp/pol"
  [ "$bad" = 0 ] && say "   OK"
else
  [ -s events.ndjson ] && fail "this bundle has no per-event files: verify.sh cannot check it (use consent-service verify, or a bundle made with --event-files)"
fi

say "5. Seal signatures (openssl pkeyutl -verify), their keys and the heads they name"
covered=0
seen=""
for payload in seals/*.payload; do
  [ -e "$payload" ] || { say "   no seals in this bundle"; break; }
  sig=${payload%.payload}.sig
  fp=$(sed -n 's/.*"key_fingerprint":"sha256:\([0-9a-f]\{64\}\)".*/\1/p' "$payload")
  if [ -n "$fp" ]; then kid=$(printf '%s' "$fp" | cut -c1-16)
  else kid=$(sed -n 's/.*"key_id":"\([0-9a-f]\{16\}\)".*/\1/p' "$payload"); fi
  key="keys/$kid.pem"
  if [ -z "$kid" ] || [ ! -f "$key" ] || \
      ! openssl pkey -pubin -in "$key" -noout -text 2>/dev/null | grep -q 'ED25519'; then
    fail "$payload: its Ed25519 key keys/$kid.pem is missing"; continue; fi
  have=$(openssl pkey -pubin -in "$key" -outform DER | tail -c 32 | sha256sum | cut -c1-64)
  if [ -n "$fp" ] && [ "$fp" != "$have" ]; then
    fail "$payload names key sha256:$fp but $key is sha256:$have"; continue; fi
  if openssl pkeyutl -verify -pubin -inkey "$key" -rawin -in "$payload" \
      -sigfile "$sig" > /dev/null 2>&1; then
    say "   $payload: signature OK (key sha256:$have)"
  else
    fail "$payload: bad signature"; continue
  fi
  case " $seen " in *" $have "*) ;; *) seen="$seen $have" ;; esac
  if [ -n "$pins" ]; then
    case " $pins " in *" $have "*) ;; *)
      fail "$payload is signed by key sha256:$have, which is not the pinned key"; continue ;;
    esac
  fi
  psite=$(sed -n 's/.*"site_key":"\([^"]*\)".*/\1/p' "$payload")
  [ "$psite" = "$site" ] || { fail "$payload names site $psite, not $site"; continue; }
  size=$(sed -n 's/.*"tree_size":\([0-9]*\).*/\1/p' "$payload")
  [ -n "$size" ] || size=$(sed -n 's/.*"seq":\([0-9]*\).*/\1/p' "$payload")
  head=$(sed -n 's/.*"head_hash":"\([0-9a-f]*\)".*/\1/p' "$payload")
  file=$(printf 'events/%012d.json' "$size")
  if [ -f "$file" ] && [ "$(sha "$file")" = "$head" ]; then
    say "   $payload: head is the hash of $file"
    [ "$size" -gt "$covered" ] && covered=$size
  else
    fail "$payload names head $head at tree_size $size; $file differs or is missing"
  fi
done

if [ -n "$witness" ]; then
  say "6. Witness heads ($witness): the head_hash a witness kept at each tree_size"
  if [ ! -f "$witness" ]; then fail "witness file $witness is missing"; else
    for ws in $(sed -n 's/.*"site_key"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$witness"); do
      [ "$ws" = "$site" ] || fail "the witness file is for site $ws, not $site"
    done
    tr '{}' '\n\n' < "$witness" | grep '"tree_size"' > "$tmp/wheads" || true
    while read -r line; do
      size=$(printf '%s\n' "$line" | sed -n 's/.*"tree_size"[[:space:]]*:[[:space:]]*\([0-9]*\).*/\1/p')
      head=$(printf '%s\n' "$line" | sed -n 's/.*"head_hash"[[:space:]]*:[[:space:]]*"\([0-9a-f]*\)".*/\1/p')
      file=$(printf 'events/%012d.json' "$size")
      ts=$(printf '%s\n' "$line" | sed -n 's/.*"timestamp"[[:space:]]*:[[:space:]]*"\([0-9TZ:-]*\)".*/\1/p')
      root=$(printf '%s\n' "$line" | sed -n 's/.*"root_hash"[[:space:]]*:[[:space:]]*"\([0-9a-f]*\)".*/\1/p')
      wfp=$(printf '%s\n' "$line" | sed -n 's/.*"key_fingerprint"[[:space:]]*:[[:space:]]*"sha256:\([0-9a-f]\{64\}\)".*/\1/p')
      wsig=$(printf '%s\n' "$line" | sed -n 's/.*"signature"[[:space:]]*:[[:space:]]*"\([A-Za-z0-9+\/\\=]*\)".*/\1/p' | sed 's|\\/|/|g')
      wkey="keys/$(printf '%s' "$wfp" | cut -c1-16).pem"
      if [ -n "$head" ] && [ -n "$ts" ] && [ -n "$root" ] && [ -n "$wfp" ] && [ -n "$wsig" ] && \
          [ -f "$wkey" ] && [ "$(openssl pkey -pubin -in "$wkey" -outform DER 2>/dev/null | tail -c 32 | sha256sum | cut -c1-64)" = "$wfp" ]; then
        printf '{"head_hash":"%s","key_fingerprint":"sha256:%s","root_hash":"%s","site_key":"%s","timestamp":"%s","tree_size":%s,"type":"consent-tree-head"}' \
          "$head" "$wfp" "$root" "$site" "$ts" "$size" > "$tmp/wpayload"
        printf '%s' "$wsig" | base64 -d > "$tmp/wsig" 2>/dev/null
        if ! openssl pkeyutl -verify -pubin -inkey "$wkey" -rawin -in "$tmp/wpayload" \
            -sigfile "$tmp/wsig" > /dev/null 2>&1; then
          fail "witness head at tree_size $size has a bad signature (not a head the service signed)"
          continue
        fi
      fi
      if [ -z "$head" ]; then say "   tree_size $size: no head_hash kept; not checked here"
      elif [ ! -f "$file" ]; then say "   tree_size $size: outside this bundle; not checked"
      elif [ "$(sha "$file")" = "$head" ]; then say "   tree_size $size: agrees"
      else fail "rewritten after a witnessed head: the witness kept head $head at tree_size $size, $file differs"
      fi
    done < "$tmp/wheads"
  fi
fi
say "(Merkle roots of the heads are checked by consent-service verify.)"

if [ "$bad" != 0 ]; then echo "INVALID: $reason"; status=1
elif [ -n "$seen" ] && [ -z "$pins" ]; then
  echo "UNPINNED KEY: valid only if you trust key$(printf ' sha256:%s' $seen): obtain the fingerprint independently (README.txt) and run: sh verify.sh sha256:<fingerprint>"
  status=3
elif [ "$covered" -lt "$last" ] || [ "$last" = 0 ]; then
  if [ "$covered" = 0 ]; then echo "UNSEALED TAIL: no seal covers the events of this bundle"
  else echo "UNSEALED TAIL: events seq $((covered + 1))..$last are after the last seal (tree_size $covered)"; fi
  status=4
else
  echo "VALID: events seq ${first:-?}..$last, every one covered by a seal signed by the pinned key"
  status=0
fi
cat "$log"
exit "$status"
"""

# The texts each bundle format version shipped: `verify` refuses others (a changed
# verify.sh or README.txt in a bundle could tell its reader anything). When you change
# either text, add the previous text's SHA-256 to its set here, or bundles made before
# stop verifying.
KNOWN = {
    "README.txt": {hashlib.sha256(README_TXT.encode()).hexdigest()},
    "verify.sh": {hashlib.sha256(VERIFY_SH.encode()).hexdigest()},
}


def known_text(name: str, data: bytes) -> bool:
    return hashlib.sha256(data).hexdigest() in KNOWN.get(name, set())
