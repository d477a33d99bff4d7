"""Our Flask application: one blueprint per protocol, errors mapped in one place."""

from __future__ import annotations

import importlib

from flask import Flask

from ogc_server.services import Services

#: Protocol blueprints (landing-page key, module with a ``blueprint``).
PROTOCOLS = (
    ("opensearch", "ogc_server.web.opensearch"),
    ("stac", "ogc_server.web.stac"),
    ("download", "ogc_server.web.download"),
    ("dseo", "ogc_server.web.dseo"),
    ("browse", "ogc_server.web.browse"),
    ("wcs", "ogc_server.web.wcs"),
    ("wfs", "ogc_server.web.wfs"),
)


def create_app(services: Services) -> Flask:
    """The Flask app over ``services`` (settings, catalogue, storage)."""
    app = Flask(__name__)
    app.config["SERVICES"] = services
    app.config["JSON_SORT_KEYS"] = False
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.strict_slashes = False

    from ogc_server.web import errors, health, landing

    errors.install(app)
    app.register_blueprint(landing.blueprint)
    app.register_blueprint(health.blueprint)
    endpoints = []
    for key, module_name in PROTOCOLS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # that protocol is not part of this installation
            raise
        app.register_blueprint(module.blueprint)
        endpoints.append(key)
    app.config["BLUEPRINT_ENDPOINTS"] = endpoints
    return app
