"""``ogc-server ingest``: put products into the rolling archive."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ogc_server.cli import Context, pass_context


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--workers", "-w", type=click.IntRange(1, 64), default=None,
              help="Parallel processes (default: ingest.workers of the configuration).")
@click.option("--no-browse", is_flag=True, help="Do not render quicklook, thumbnail, browse COG.")
@click.option("--metadata-only", is_flag=True,
              help="Catalogue the products as offline without placing their data.")
@click.option("--move", is_flag=True,
              help="Move sources into the archive (or quarantine) instead of copying.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a tty).")
@pass_context
def command(ctx: Context, paths: tuple[Path, ...], workers: int | None, no_browse: bool,
            metadata_only: bool, move: bool, progress: bool | None) -> None:
    """Ingest product folders (.SAFE, .SEN3), zips and S5P netCDF files, or folders of them.

    Bad products go to the quarantine folder with a reason; the batch goes on and the command
    exits non-zero when any product was rejected.
    """
    from tqdm import tqdm

    from ogc_server.archive.database import create_engine, upgrade
    from ogc_server.ingest.pipeline import ingest_batch, product_sources

    settings = ctx.settings
    upgrade(create_engine(settings.database_url))
    sources = list(product_sources(paths))
    bar = tqdm(total=len(sources), unit="product", disable=not progress if progress is not None
               else None, file=sys.stderr)
    summary = ingest_batch(
        settings,
        sources,
        workers=workers or settings.ingest.workers,
        progress=lambda _outcome: bar.update(1),
        browse=False if no_browse else None,
        metadata_only=metadata_only,
        move=move,
    )
    bar.close()
    click.echo(summary.describe())
    if not summary.ok:
        sys.exit(1)
