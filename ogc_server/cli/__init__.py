"""The ``ogc-server`` command. Only the CLI (and wsgi.py) configure logging."""

from __future__ import annotations

import logging
import sys
from importlib.metadata import entry_points
from pathlib import Path

import click

from ogc_server.errors import ConfigError
from ogc_server.settings import Settings, load_settings


class Context:
    def __init__(self, config: Path | None):
        self.config = config
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config)
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._settings


pass_context = click.make_pass_decorator(Context)


@click.group()
@click.option("--config", "-c", type=click.Path(path_type=Path), envvar="OGC_SERVER_CONFIG",
              help="Configuration file (default: config/ogc-server.yml).")
@click.option("--verbose", "-v", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="ogc-server")
@click.pass_context
def main(ctx: click.Context, config: Path | None, verbose: int) -> None:
    """ogc-server: Copernicus rolling archive with OGC discovery, view and download services."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = Context(config)


def _register() -> None:
    from ogc_server.cli import config, db, demo, ingest, serve

    for module in (config, db, demo, ingest, serve):
        main.add_command(module.command)
    for ep in entry_points(group="ogc_server.commands"):
        main.add_command(ep.load())


_register()
