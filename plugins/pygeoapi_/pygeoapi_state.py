"""pygeoapi's process-wide state, adapted so several applications live in one process.

* templates are rendered with a translated configuration cached per locale in
  ``pygeoapi.l10n._cfg_cache``: that cache is replaced by one that keeps a dict per
  application, chosen for each request through :data:`APPLICATION_CACHE`;
* ``API()`` calls ``logging.basicConfig``: :func:`new_api` skips it (the CLI configures
  logging);
* the items handler parses ``filter`` as ECQL: our CQL2 text/JSON readers are installed in its
  place (:func:`install`).
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import pygeoapi.api as core_api
import pygeoapi.api.itemtypes as itemtypes_api
from pygeoapi import l10n
from pygeoapi.api import API

from plugins.pygeoapi_ import queryables

#: Held while pygeoapi's module state is changed (installation, API construction).
PYGEOAPI_LOCK = threading.Lock()


class _TemplateCaches(MutableMapping[Any, Any]):
    """pygeoapi's translated-configuration cache, one dict per application.

    The application serving the current request is chosen with :data:`APPLICATION_CACHE`;
    outside a request the cache is one shared dict, as pygeoapi's own.
    """

    def __init__(self, shared: dict[Any, Any]):
        self._shared = shared

    def _current(self) -> dict[Any, Any]:
        current = APPLICATION_CACHE.get()
        return self._shared if current is None else current

    def __getitem__(self, key: Any) -> Any:
        return self._current()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._current()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._current()[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())


APPLICATION_CACHE: contextvars.ContextVar[dict[Any, Any] | None] = contextvars.ContextVar(
    "ogcapi_template_cache", default=None)


def install() -> None:
    """Adapt pygeoapi's module state to several applications and to CQL2 (idempotent).

    * the template configuration cache becomes :class:`_TemplateCaches`;
    * pygeoapi 0.21 parses the ``filter`` parameter with the ECQL grammar and a POSTed body
      with a CQL2 JSON reader that swaps bbox axes: both are replaced by our readers (which
      also accept ECQL).
    """
    with PYGEOAPI_LOCK:
        if not isinstance(l10n._cfg_cache, _TemplateCaches):
            l10n._cfg_cache = _TemplateCaches(l10n._cfg_cache)
        itemtypes_api.parse_ecql_text = queryables.parse_filter
        itemtypes_api.parse_cql2_json = _parse_json_body


def _parse_json_body(data: str | bytes) -> Any:
    return queryables.parse_filter(data, "cql-json")


def new_api(config: dict[str, Any], openapi: dict[str, Any]) -> API:
    """pygeoapi's API without its ``logging.basicConfig`` (the CLI configures logging)."""
    with PYGEOAPI_LOCK:
        setup_logger = core_api.setup_logger
        core_api.setup_logger = lambda _config: None
        try:
            api = API(config, openapi)
        finally:
            core_api.setup_logger = setup_logger
    # The templates read a collection's title and provider types only. pygeoapi translates
    # this copy once per locale and logs a warning for every key of every plain dict in it.
    api.tpl_config["resources"] = {
        cid: {"type": res["type"], "title": res["title"],
              "providers": [_TemplateProvider(p["type"]) for p in res["providers"]]}
        for cid, res in config["resources"].items()
    }
    return api


@dataclass(frozen=True, slots=True)
class _TemplateProvider:
    """What a template reads of a provider (Jinja's ``provider['type']`` finds the field)."""

    type: str
