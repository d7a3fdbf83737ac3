"""`diagnoser serve`: the HTTP service (needs the serve extra: pip install 'diagnoser[serve]')."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import click

from ._common import kb_options


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option(
    "--store",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("diagnoser-incidents.sqlite3"),
    show_default=True,
    envvar="DIAGNOSER_STORE",
    help="SQLite file holding incidents and their tickets (kept across restarts).",
)
@click.option(
    "--alert-mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML/JSON: which Alertmanager labels/annotations give text, codes, site, region.",
)
@click.option(
    "--site",
    "site_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="DIAGNOSER_SITE",
    help="Site profile (YAML): serve uses its default 'system' and 'language'.",
)
@click.option(
    "--max-body",
    type=click.IntRange(min=1024),
    default=1_000_000,
    show_default=True,
    help="Largest request body, in bytes.",
)
@kb_options
def serve(
    host: str,
    port: int,
    store: Path,
    alert_mapping: Path | None,
    site_file: Path | None,
    max_body: int,
    rules: Path | None,
    knowledge: Path | None,
) -> None:
    """Serve diagnoses, incidents and helpdesk webhooks over HTTP (OpenAPI docs at /docs)."""
    if importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("uvicorn") is None:
        raise click.UsageError("serve needs the serve extra: pip install 'diagnoser[serve]'")
    import uvicorn

    from ..server import ServerConfig, create_app
    from ..service import Diagnoser

    diagnoser = Diagnoser.from_paths(rules=rules, knowledge=knowledge)
    site: dict[str, Any] = {}
    if site_file is not None:
        from ..triage.site import load_site

        # the site profile model (contacts, escalation, default system, language), checked
        # against this knowledge base's systems; the diagnoser applies it to every ticket
        profile = load_site(site_file, set(diagnoser.kb.systems))
        diagnoser = Diagnoser(diagnoser.kb, site=profile)
        site = {"system": profile.default_system, "language": profile.language}
    config = ServerConfig(
        store=str(store), alert_mapping=alert_mapping, site=site, max_body=max_body
    )
    app = create_app(config, diagnoser)
    # what a command line loads on first use (the text matchers, OpenCC, the JSON serialiser)
    # is loaded before the first request, not during it
    diagnoser.diagnose(
        {"id": "warm-up", "text": "開票失敗，打印机卡纸 printer jam", "error_codes": ["1001"]}
    ).model_dump_json()
    click.echo(f"diagnoser: serving on http://{host}:{port} (docs at /docs)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
