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
@click.option("--processes", type=click.IntRange(1, 64), default=None,
              help="Server processes sharing the port (default: server.processes).")
@click.option("--demo-if-empty", is_flag=True,
              help="Build the demo archive first when the catalogue holds no product.")
@pass_context
def command(ctx: Context, host: str | None, port: int | None, threads: int | None,
            processes: int | None, demo_if_empty: bool) -> None:
    """Serve the platform (landing page, services, downloads) over HTTP."""
    from ogc_server.compose import build_application
    from ogc_server.services import build_services
    from ogc_server.web.server import serve

    settings = ctx.settings
    services = build_services(settings)
    if demo_if_empty and services.store.count() == 0:
        from ogc_server.cli.demo import build_demo

        click.echo("the catalogue is empty: building the demo archive first", err=True)
        build_demo(settings, products=200, seed=1, workers=settings.ingest.workers)
    services.engine.dispose()  # each server process opens its own connections
    host = host or settings.server.host
    port = port or settings.server.port
    count = processes or settings.server.processes
    click.echo(f"serving {settings.title} on http://{host}:{port}/ "
               f"({count} process{'es' if count > 1 else ''})", err=True)
    serve(lambda: build_application(settings, build_services(settings, migrate=False)),
          host=host, port=port, processes=count,
          threads=threads or settings.server.threads, ident="ogc-server",
          channel_timeout=120, connection_limit=1000)
