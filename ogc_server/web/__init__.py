"""Our Flask application: one blueprint per protocol, errors mapped in one place."""

from __future__ import annotations

from flask import Flask

from ogc_server.services import Services


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
    return app
