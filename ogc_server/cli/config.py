"""``ogc-server config``: check and show the configuration."""

from __future__ import annotations

import click

from ogc_server.cli import Context, pass_context


@click.group("config")
def command() -> None:
    """Check or show the configuration."""


@command.command("validate")
@pass_context
def validate(ctx: Context) -> None:
    """Run the start-up validation (syntax, interpolation, schema, references)."""
    settings = ctx.settings
    click.echo(
        f"{settings.config_file}: valid ({len(settings.collections)} collections, "
        f"{len(settings.region_list)} regions, database {settings.database_url.split(':')[0]})"
    )


@command.command("show")
@pass_context
def show(ctx: Context) -> None:
    """Print the effective configuration as JSON."""
    click.echo(ctx.settings.model_dump_json(indent=2))
