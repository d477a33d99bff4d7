"""``ogc-server demo``: generate a realistic demo archive and ingest it."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import click

from ogc_server.cli import Context, pass_context
from ogc_server.settings import Settings


def build_demo(settings: Settings, *, products: int, seed: int, workers: int) -> bool:
    """Generate ``products`` demo products and ingest them through the ingest pipeline."""
    from tqdm import tqdm

    from ogc_server.archive.database import create_engine, upgrade
    from ogc_server.demo import generate
    from ogc_server.ingest.pipeline import ingest_batch

    upgrade(create_engine(settings.database_url))
    incoming = Path(tempfile.mkdtemp(prefix="demo-", dir=settings.data_dir))
    try:
        started = time.perf_counter()
        collections = [
            (c.identifier, list(c.product_types), dict(c.retention.months))
            for c in settings.collection_list
        ]
        paths = generate(incoming, products=products, seed=seed, workers=workers,
                         collections=collections)
        generated = time.perf_counter() - started
        with tqdm(total=len(paths), unit="product", file=sys.stderr) as bar:
            summary = ingest_batch(settings, paths, workers=workers, move=True,
                                   progress=lambda _o: bar.update(1))
        click.echo(summary.describe())
        click.echo(f"demo archive: generated in {generated:.1f} s, total "
                   f"{time.perf_counter() - started:.1f} s", err=True)
        return summary.ok
    finally:
        shutil.rmtree(incoming, ignore_errors=True)


@click.command("demo")
@click.option("--products", "-n", type=click.IntRange(1, 100_000), default=200,
              help="How many products (default 200).")
@click.option("--seed", type=int, default=1,
              help="Seed: the same N and seed give the same archive.")
@click.option("--workers", "-w", type=click.IntRange(1, 64), default=None)
@pass_context
def command(ctx: Context, products: int, seed: int, workers: int | None) -> None:
    """Generate a demo archive from the real products' structures and ingest it."""
    settings = ctx.settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not build_demo(settings, products=products, seed=seed,
                      workers=workers or settings.ingest.workers):
        sys.exit(1)
