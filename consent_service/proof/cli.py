"""Commands: seal, export, bundle, verify, proof, purge (added to `consent-service`)."""

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
    """Sign each site's chain head with the Ed25519 key; prints the new seals as JSON."""
    from .seals import seal_all

    click.echo(json.dumps(seal_all(list(site_keys) or None, force=force), indent=1))


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
    click.echo(json.dumps(manifest, indent=1))


@click.command("verify")
@click.argument("bundle", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--site", "site_key", help="verify the live chain of this site instead")
@click.option("--trusted-key", "trusted", multiple=True, type=click.Path(exists=True),
              help="PEM public key seals must be signed with (repeatable)")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("--max-errors", default=100, show_default=True)
@with_appcontext
def verify_cmd(bundle, site_key, trusted, as_json, max_errors):
    """Verify a proof bundle (offline) or a site's live chain; exit 1 on any failure."""
    if bool(bundle) == bool(site_key):
        raise click.UsageError("give either BUNDLE.zip or --site KEY")
    if bundle:
        from .verify import verify_bundle

        try:
            report = verify_bundle(bundle, list(trusted) or None)
        except (KeyError, ValueError, OSError) as exc:
            click.echo(f"FAIL [format] not a readable proof bundle: {exc}")
            sys.exit(1)
    else:
        from .verify import verify_site

        report = verify_site(_site(site_key))
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=1))
    else:
        for problem in report.problems[:max_errors]:
            click.echo(str(problem))
        hidden = sum(report.counts.values()) - min(len(report.problems), max_errors)
        if hidden > 0:
            click.echo(f"... and {hidden} more failures")
        for note in report.notes:
            click.echo(f"note: {note}")
        status = "VALID" if report.ok else "INVALID " + json.dumps(dict(report.counts))
        click.echo(f"{status}: site {report.site_key}, {report.events} events "
                   f"(seq {report.first_seq}..{report.last_seq}), "
                   f"{report.seals_checked} seals checked")
    sys.exit(0 if report.ok else 1)


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


COMMANDS = (seal_cmd, export_cmd, bundle_cmd, verify_cmd, proof_cmd, purge_cmd)
