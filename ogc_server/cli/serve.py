"""``ogc-server serve``: run the composed WSGI application (waitress, see web.server)."""

from __future__ import annotations

import click

from ogc_server.cli import Context, pass_context


@click.command("serve")
@click.option("--host", default=None, help="Address to bind (default: server.host).")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port (default: server.port).")
@click.option("--threads", type=click.IntRange(1, 256), default=None,
              help="Worker threads (default: server.threads).")
@click.option("--demo-if-empty", is_flag=True,
              help="Build the demo archive first when the catalogue holds no product.")
@pass_context
def command(ctx: Context, host: str | None, port: int | None, threads: int | None,
            demo_if_empty: bool) -> None:
    """Serve the platform (landing page, services, downloads) over HTTP."""
    from ogc_server.compose import build_application
    from ogc_server.services import build_services
    from ogc_server.web.server import create

    settings = ctx.settings
    services = build_services(settings)
    if demo_if_empty and services.store.count() == 0:
        from ogc_server.cli.demo import build_demo

        click.echo("the catalogue is empty: building the demo archive first", err=True)
        build_demo(settings, products=200, seed=1, workers=settings.ingest.workers)
    application = build_application(settings, services)
    host = host or settings.server.host
    port = port or settings.server.port
    click.echo(f"serving {settings.title} on http://{host}:{port}/", err=True)
    server = create(application, host=host, port=port,
                    threads=threads or settings.server.threads, ident="ogc-server",
                    channel_timeout=120, connection_limit=1000)
    server.run()
