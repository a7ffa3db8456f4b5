"""The `consent-service` command: Flask's CLI group plus our commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import FlaskGroup, with_appcontext

from . import create_app


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_version_option=False)
def cli():
    """consent-service: consent management for sites that mean it."""


def init_app(app) -> None:
    """Our commands live on app.cli, so `flask`, FlaskGroup and the test runner see them."""
    from .analysis.cli import commands as analysis_commands
    from .proof.cli import COMMANDS as proof_commands
    from .scan.cli import scan_command, worker_command
    from .serve import demo, serve

    for command in (admin, site, demo, serve, stats_rollup, maintenance, *analysis_commands,
                    *proof_commands, scan_command, worker_command):
        app.cli.add_command(command)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise click.UsageError("the password needs at least 10 characters")
    return password


@click.group()
def admin():
    """Admin users."""


@admin.command("create")
@click.option("--email", required=True)
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.option("--superuser/--no-superuser", default=True, help="sees every site")
@with_appcontext
def admin_create(email, password_stdin, superuser):
    """Create an admin user."""
    from .services.users import create_user

    user = create_user(email, _read_password(password_stdin), is_superuser=superuser)
    click.echo(json.dumps({"id": user.id, "email": user.email}))


@admin.command("site-creation")
@click.argument("email")
@click.option("--allow/--deny", required=True, help="may this user create sites")
@with_appcontext
def admin_site_creation(email, allow):
    """Let a (non-super) admin user create sites, or take it back."""
    from .services.errors import ServiceError
    from .services.sites import set_site_creation

    try:
        user = set_site_creation(email, allow)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(json.dumps({"email": user.email, "can_create_sites": user.can_create_sites}))


@click.group()
def site():
    """Sites."""


@site.command("create")
@click.option("--domain", "domains", multiple=True, required=True)
@click.option("--name")
@click.option("--notice", type=click.Path(dir_okay=False), help="privacy notice to analyse")
@click.option("--privacy-url")
@click.option("--lang", "languages", multiple=True, type=click.Choice(["fi", "sv", "en"]))
@click.option("--services", "service_ids", multiple=True,
              help="catalog service ids (when no notice is given)")
@click.option("--publish", is_flag=True, help="publish the first policy version")
@with_appcontext
def site_create(domains, name, notice, privacy_url, languages, service_ids, publish):
    """Create a site; prints {"site_key", "policy_version"} as JSON."""
    from .services.errors import ServiceError
    from .services.setup import create_site_with_policy

    notice_bytes = None
    if notice:
        try:
            notice_bytes = Path(notice).read_bytes()
        except OSError as exc:
            raise click.UsageError(f"cannot read notice: {exc.strerror}") from exc
    try:
        result = create_site_with_policy(
            list(domains), name=name, languages=list(languages) or None,
            privacy_url=privacy_url, notice=notice_bytes, services=list(service_ids),
            publish=publish,
        )
    except ServiceError as exc:
        raise click.ClickException(f"{exc.message} {json.dumps(exc.errors)}") from exc
    click.echo(json.dumps(result))


@site.command("api-key")
@click.option("--site", "site_key", required=True)
@click.option("--name", default="cli")
@click.option("--role", type=click.Choice(["viewer", "editor", "owner"]), default="editor")
@with_appcontext
def site_api_key(site_key, name, role):
    """Create an admin API key for a site; prints it once (only its hash is stored)."""
    from .services.errors import ServiceError
    from .services.sites import create_api_key, get_site

    try:
        _, key = create_api_key(get_site(site_key), name, role=role)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(key)


@click.command("stats-rollup")
@with_appcontext
def stats_rollup():
    """Summarise finished days of every site for the statistics (run daily, e.g. by cron),
    so no admin page pays for a first summary of a large log."""
    from .services.stats import roll_up_all

    for site_key, until in roll_up_all():
        click.echo(f"{site_key} summarised until {until.isoformat()}")


@click.command("maintenance")
@click.option("--job", "jobs", multiple=True, help="only these jobs: seal, purge, stats-rollup")
@click.option("--force", is_flag=True, help="run them even when they are not due")
@click.option("--status", "show_status", is_flag=True, help="only print when each job last ran")
@with_appcontext
def maintenance(jobs, force, show_status):
    """Run the periodic jobs that are due (the job worker does this every 5 minutes); prints
    what ran as JSON. Safe to run from cron on several machines at once."""
    from .services import maintenance as jobs_service

    unknown = sorted(set(jobs) - set(jobs_service.JOBS))
    if unknown:
        raise click.BadParameter(f"unknown job(s): {', '.join(unknown)}", param_hint="--job")
    if show_status:
        click.echo(json.dumps(jobs_service.status(), indent=1))
        return
    done = jobs_service.run_due(only=list(jobs) or None, force=force)
    click.echo(json.dumps(done, indent=1))
    if any(job["status"] == "failed" for job in done):
        sys.exit(1)


def main() -> None:
    from sqlalchemy.exc import DBAPIError

    try:
        cli(prog_name="consent-service")
    except DBAPIError as exc:
        if not _missing_schema(exc):
            raise
        click.echo("Error: the database has no tables for this version of consent-service: "
                   "run `consent-service db upgrade` first.", err=True)
        sys.exit(1)


def _missing_schema(exc) -> bool:
    """A table or column this version expects is missing (SQLite, PostgreSQL)."""
    message = str(getattr(exc, "orig", exc)).lower()
    return (type(exc.orig).__name__ in ("UndefinedTable", "UndefinedColumn")
            or message.startswith(("no such table", "no such column")))


