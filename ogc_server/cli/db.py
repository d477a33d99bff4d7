"""``ogc-server db``: catalogue schema migrations."""

from __future__ import annotations

import click

from ogc_server.cli import Context, pass_context


@click.group("db")
def command() -> None:
    """Manage the catalogue database."""


@command.command("upgrade")
@pass_context
def upgrade(ctx: Context) -> None:
    """Create or migrate the catalogue schema to the newest revision."""
    from ogc_server.archive.database import create_engine, current_revision
    from ogc_server.archive.database import upgrade as run_upgrade

    engine = create_engine(ctx.settings.database_url)
    run_upgrade(engine)
    click.echo(f"catalogue at revision {current_revision(engine)}")
