"""Access to the services of the running app."""

from __future__ import annotations

from flask import current_app

from ogc_server.services import Services


def services() -> Services:
    return current_app.config["SERVICES"]
