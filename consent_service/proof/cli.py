"""Commands: seal, export, bundle, verify, proof, purge, keys (added to `consent-service`)."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click
from flask.cli import with_appcontext

from ..services.errors import ServiceError
from . import exports


def parse_when(value: str | None, *, end: bool = False) -> datetime | None:
    try:
        return exports.parse_when(value, end=end)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _site(site_key: str):
    from ..services.sites import get_site

    try:
        return get_site(site_key)
    except ServiceError as exc:
        raise click.ClickException(f"{exc.message}: {site_key}") from exc


@click.command("seal")
@click.option("--site", "site_keys", multiple=True, help="only these sites (default: all)")
@click.option("--force", is_flag=True, help="seal even when the head is already sealed")
@with_appcontext
def seal_cmd(site_keys, force):
    """Sign each site's tree head with the Ed25519 key; prints the new seals as JSON."""
    from .seals import seal_all

    try:
        sealed = seal_all(list(site_keys) or None, force=force)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(json.dumps(sealed, indent=1))


@click.command("export")
@click.option("--site", "site_key", required=True)
@click.option("--from", "start", help="ISO date or datetime (UTC), inclusive")
@click.option("--to", "end", help="ISO date (inclusive day) or datetime (exclusive)")
@click.option("--format", "fmt", type=click.Choice(["csv", "ndjson", "json27560"]),
              default="ndjson", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="file (default: stdout)")
@with_appcontext
def export_cmd(site_key, start, end, fmt, out):
    """Stream a site's consent records as CSV, NDJSON or ISO/IEC TS 27560 JSON."""
    from .exports import write_export

    site = _site(site_key)
    lo, hi = parse_when(start), parse_when(end, end=True)
    if out:
        with open(out, "w", encoding="utf-8", newline="") as fh:
            rows = write_export(site, fmt, lo, hi, fh)
        click.echo(f"{rows} records written to {out}", err=True)
    else:
        write_export(site, fmt, lo, hi, sys.stdout)


@click.command("bundle")
@click.option("--site", "site_key", required=True)
@click.option("--from", "start")
@click.option("--to", "end")
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option("--no-seal", is_flag=True, help="do not seal the current head first")
@click.option("--event-files/--no-event-files", default=None,
              help="per-event files for sha256sum (default: up to 200,000 events)")
@with_appcontext
def bundle_cmd(site_key, start, end, out, no_seal, event_files):
    """Write a proof bundle zip: events, policies, seals, public keys, README."""
    from .bundle import build_bundle

    manifest = build_bundle(_site(site_key), out, parse_when(start),
                            parse_when(end, end=True), seal=not no_seal,
                            event_files=event_files)
    tail = manifest.get("unsealed_tail")
    if tail:
        click.echo(f"warning: the tail is unsealed: events seq {tail['from_seq']}.."
                   f"{tail['to_seq']} are not covered by a seal ({tail['reason']}); "
                   "`verify` will say UNSEALED TAIL", err=True)
    click.echo(json.dumps(manifest, indent=1))


def _fetch_service_pins(url: str, ca_file: str | None):
    """Every key the service publishes, fetched over https (certificate checked)."""
    import ssl
    import urllib.request
    from urllib.parse import urlsplit

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from .seals import fingerprint_of, key_id_of
    from .verify import Pins

    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise click.BadParameter("must be an https:// URL", param_hint="--trust-service")
    endpoint = url.rstrip("/")
    if not endpoint.endswith("/api/v1/signing-keys"):
        endpoint += "/api/v1/signing-keys"
    context = ssl.create_default_context(cafile=ca_file)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                         NoRedirect)
    try:
        with opener.open(endpoint, timeout=20) as resp:
            rows = json.loads(resp.read(1 << 20))
    except Exception as exc:  # noqa: BLE001 - any failure: no pins, say why
        raise click.ClickException(
            f"could not fetch the key list from {endpoint}: {exc}") from exc
    pins = Pins()
    for row in rows if isinstance(rows, list) else []:
        try:
            key = serialization.load_pem_public_key(str(row["public_key_pem"]).encode())
        except (KeyError, TypeError, ValueError):
            continue
        if isinstance(key, Ed25519PublicKey):
            fp = fingerprint_of(key)
            pins.fingerprints.add(fp)
            pins.keys[key_id_of(key)] = (key, fp)
    if not pins.fingerprints:
        raise click.ClickException(f"{endpoint} lists no Ed25519 keys")
    return pins


def _load_witness(path: str) -> tuple[str, dict]:
    try:
        with open(path, "rb") as fh:
            data = fh.read(64 << 20)
        return path, json.loads(data)
    except (OSError, ValueError, RecursionError) as exc:
        return path, {"error": f"{type(exc).__name__}"}


@click.command("verify")
@click.argument("bundle", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--site", "site_key", help="verify the live chain of this site instead")
@click.option("--trusted-key", "trusted", multiple=True, metavar="FILE|FINGERPRINT",
              help="pin a key: a PEM public key file or sha256:<64 hex> (repeatable)")
@click.option("--trust-service", metavar="URL",
              help="pin every key the service publishes at URL/api/v1/signing-keys (https)")
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False),
              help="CA certificates for --trust-service (default: the system's)")
@click.option("--witness", "witness_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False),
              help="a witness file of signed heads (docs/proof.md), repeatable")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("--max-errors", default=100, show_default=True)
def verify_cmd(bundle, site_key, trusted, trust_service, ca_file, witness_files, as_json,
               max_errors):
    """Verify a proof bundle (offline) or a site's live chain.

    The first line is the verdict. Exit 0 VALID, 1 INVALID, 3 UNPINNED KEY (no key
    pinned), 4 UNSEALED TAIL (events after the last seal)."""
    from .verify import merge_pins, parse_pin

    if bool(bundle) == bool(site_key):
        raise click.UsageError("give either BUNDLE.zip or --site KEY")
    witnesses = [_load_witness(p) for p in witness_files]
    if bundle:
        from .verify import verify_bundle

        items = []
        for value in trusted:
            try:
                items.append(parse_pin(value))
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="--trusted-key") from exc
        if trust_service:
            items.append(_fetch_service_pins(trust_service, ca_file))
        pins = merge_pins(items) if items else None
        report = verify_bundle(bundle, pins, witnesses)
    else:
        from flask.cli import ScriptInfo

        ctx = click.get_current_context()
        with ctx.ensure_object(ScriptInfo).load_app().app_context():
            from .verify import verify_site

            report = verify_site(_site(site_key), witnesses)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=1))
    else:
        click.echo(report.verdict_line())
        for problem in report.problems[:max_errors]:
            click.echo(str(problem))
        hidden = sum(report.counts.values()) - min(len(report.problems), max_errors)
        if hidden > 0:
            click.echo(f"... and {hidden} more failures")
        for note in report.notes:
            click.echo(f"note: {note}")
        click.echo(f"site {report.site_key}, {report.events} events "
                   f"(seq {report.first_seq}..{report.last_seq}), "
                   f"{report.seals_checked} seals checked")
    sys.exit(report.exit_code)


@click.group("keys")
def keys_cmd():
    """The Ed25519 signing key: only these commands create or rotate it (audited)."""


@keys_cmd.command("init")
@with_appcontext
def keys_init():
    """Create the first signing key (refused when one is already active)."""
    from .seals import create_key

    try:
        signer = create_key(via="cli")
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"created key {signer.key_id} ({signer.fingerprint})")


@keys_cmd.command("rotate")
@click.option("--yes", is_flag=True, help="do not ask")
@with_appcontext
def keys_rotate(yes):
    """Make a new signing key; the old public key stays published, retired."""
    from .seals import rotate_key

    if not yes:
        click.confirm("Retire the active signing key and create a new one?", abort=True)
    signer = rotate_key(via="cli")
    click.echo(f"new key {signer.key_id} ({signer.fingerprint}); copy "
               "the key file to every machine that seals")


@keys_cmd.command("list")
@with_appcontext
def keys_list():
    """Published keys: key_id, fingerprint, created, retired."""
    from cryptography.hazmat.primitives import serialization
    from sqlalchemy import select

    from ..extensions import db
    from .models import SigningKey
    from .seals import fingerprint_of

    for row in db.session.scalars(select(SigningKey).order_by(SigningKey.id)):
        fp = fingerprint_of(serialization.load_pem_public_key(row.public_key_pem.encode()))
        state = f"retired {row.retired_at:%Y-%m-%d}" if row.retired_at else "active"
        click.echo(f"{row.key_id}  {fp}  created {row.created_at:%Y-%m-%d}  {state}")


@click.command("proof")
@click.argument("receipt_id")
@click.option("--no-seal", is_flag=True, help="do not seal the head when no seal covers it")
@with_appcontext
def proof_cmd(receipt_id, no_seal):
    """Print the signed proof document of one consent receipt."""
    from sqlalchemy import select

    from ..extensions import db
    from ..models import ConsentEvent, Site
    from .receipts import build_proof

    event = db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.receipt_id == receipt_id)).first()
    if event is None:
        raise click.ClickException(f"unknown receipt {receipt_id}")
    proof = build_proof(event, db.session.get(Site, event.site_id), seal_if_needed=not no_seal)
    click.echo(json.dumps(proof, indent=1, ensure_ascii=False))


@click.command("purge")
@click.option("--older-than", help="e.g. 3y, 18m, 90d (default: each site's retention_days)")
@click.option("--site", "site_key")
@with_appcontext
def purge_cmd(older_than, site_key):
    """Blank page URL, IP and browser of old events; hashes and seals stay verifiable."""
    from .purge import parse_duration, purge

    if older_than:
        try:
            parse_duration(older_than)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--older-than") from exc
    if site_key:
        _site(site_key)
    click.echo(json.dumps(purge(older_than, site_key), indent=1))


COMMANDS = (seal_cmd, export_cmd, bundle_cmd, verify_cmd, proof_cmd, purge_cmd, keys_cmd)
