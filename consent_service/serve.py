"""`consent-service serve` (production: gunicorn with the package's settings) and
`consent-service demo` (migrate, signing key, demo site and admin, then serve)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

APP = "consent_service:create_app()"
GUNICORN_CONF = Path(__file__).resolve().with_name("gunicorn_conf.py")


def gunicorn_argv(bind: str | None, extra: tuple[str, ...] = ()) -> list[str]:
    # By path: gunicorn runs the file without importing this package into its master.
    argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF)]
    if bind:
        argv += ["--bind", bind]
    return [*argv, *extra, APP]


def exec_gunicorn(bind: str | None, extra: tuple[str, ...] = (), announce: str = "") -> None:
    """Replace this process with gunicorn: signals from a terminal, systemd or a container's
    runtime reach the master directly."""
    from .extensions import db

    db.engine.dispose()
    env = dict(os.environ)
    if announce:
        env["_CONSENT_SERVE_ANNOUNCE"] = announce  # printed once a worker listens
    sys.stdout.flush()
    sys.stderr.flush()
    argv = gunicorn_argv(bind, extra)
    os.execve(argv[0], argv, env)


def require_ready_database() -> None:
    from .services.health import database_revision, migration_heads

    current, error = database_revision()
    heads = migration_heads(current_app.config["MIGRATIONS_DIR"])
    if current is None:
        raise click.ClickException(
            "the database is not migrated (or not reachable: "
            f"{error}): run `consent-service db upgrade` first")
    if current != set(heads):
        raise click.ClickException(
            f"the database is at revision {', '.join(sorted(current))}, this version needs "
            f"{', '.join(sorted(heads))}: run `consent-service db upgrade` first")


@click.command("serve", context_settings={"ignore_unknown_options": True,
                                          "allow_extra_args": True})
@click.option("--bind", default=None,
              help="address to listen on (default: GUNICORN_BIND or 127.0.0.1:5000)")
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def serve(bind, gunicorn_args):
    """Serve with gunicorn and the package's settings (consent_service/gunicorn_conf.py).

    Other options are passed to gunicorn, e.g. `consent-service serve --bind 0.0.0.0:8000
    --workers 4`. Refuses to start on a database that is not migrated."""
    require_ready_database()
    exec_gunicorn(bind, gunicorn_args)


@click.command("demo")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000)
@click.option("--serve/--no-serve", "do_serve", default=True,
              help="serve after setting up (default), or only set up and print")
@with_appcontext
def demo(host, port, do_serve):
    """Migrate, create the signing key, a demo site and an admin login once, then serve
    on HOST:PORT; the login is printed once the server accepts connections."""
    from flask_migrate import upgrade

    from .services.setup import ensure_demo

    upgrade(directory=current_app.config["MIGRATIONS_DIR"])
    ensure_signing_key()
    info = ensure_demo(f"http://{host}:{port}")
    if not do_serve:
        click.echo(info["text"].replace("demo is ready.", "demo is set up (not served)."))
        return
    exec_gunicorn(f"{host}:{port}", announce=info["text"])


def ensure_signing_key() -> None:
    """The chain's signing key, created here on purpose (and published) if there is none."""
    from .proof.seals import ensure_key

    ensure_key(via="demo")
