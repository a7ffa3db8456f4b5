"""``analyze`` and ``evaluate`` click commands; the lead registers them on the
``consent-service`` group. Neither needs a Flask app context."""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from .errors import NoticeError


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as fh:
        return fh.read()


def format_text(result: dict) -> str:
    ctrl = result["controller"]
    lines = [
        f"language:   {result['language']}",
        f"controller: {ctrl['name'] or '-'} ({ctrl['business_id'] or 'no business id'})",
        f"date:       {result['notice_date'] or '-'}",
        f"transfers outside EEA: {result['transfers_outside_eea']}",
        "categories:",
    ]
    for cat, info in result["categories"].items():
        mark = "yes" if info["used"] else "no"
        quote = f"  \"{info['evidence'][0][:90]}\"" if info["evidence"] else ""
        lines.append(f"  {cat:<12}{mark:<4}{quote}")
    lines.append("services:")
    for s in result["services"] or [{"id": "-", "category": "", "evidence": ""}]:
        lines.append(f"  {s['id']:<20}{s['category']}")
    lines.append("findings:")
    for f in result["findings"] or [{"severity": "", "code": "none", "message_en": ""}]:
        lines.append(f"  [{f['severity']}] {f['code']}: {f.get('message_en', '')}")
    return "\n".join(lines)


@click.command("analyze")
@click.argument("path")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json",
              show_default=True, help="JSON document or a readable summary.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date to judge 'notice-outdated' against (default: today).")
def analyze_command(path: str, fmt: str, today) -> None:
    """Analyse the privacy notice in PATH (text or HTML; '-' reads standard input)."""
    from .analyzer import analyze

    try:
        data = _read(path)
        result = analyze(data, today=today.date() if today else date.today())
    except NoticeError as exc:
        click.echo(f"error: {exc.code}: {exc.message}", err=True)
        sys.exit(2)
    except OSError as exc:
        click.echo(f"error: unreadable: {exc.strerror or exc}: {path}", err=True)
        sys.exit(2)
    if fmt == "text":
        click.echo(format_text(result))
    else:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))


@click.command("evaluate")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("labels", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def evaluate_command(directory: str, labels: str, as_json: bool) -> None:
    """Score the analyzer on the notices in DIRECTORY against LABELS (labels.json)."""
    from .evaluate import evaluate, format_report

    report = evaluate(directory, labels)
    click.echo(json.dumps(report, indent=2) if as_json else format_report(report))


commands = [analyze_command, evaluate_command]
