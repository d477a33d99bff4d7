"""WMS styles: ``STYLES``/``STYLE`` routed to the style layers, and the styles in capabilities.

MapProxy gives each layer one style (``default``; ``inspire_common:DEFAULT`` with INSPIRE
metadata) and ignores ``STYLES``. The collections' other styles (false colour, NDVI, the
VV/VH composite: :mod:`ogc_server.view.styles`) are layers of their own
(:func:`plugins.mapproxy_.config.layer_specs`), and this module makes them styles of the
collection's layer too:

* :func:`route` rewrites a GetMap/GetFeatureInfo (``LAYERS``, ``QUERY_LAYERS`` with
  ``STYLES``) or GetLegendGraphic (``LAYER`` with ``STYLE``) asking for a style of a layer into
  the same request for the style's layer; a style the layer does not have is a
  ``StyleNotDefined`` ServiceException;
* :func:`with_styles` adds to WMS capabilities one ``Style`` per style of each collection's
  layer, with its title and legend.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode

from lxml import etree

from ogc_server.ingest.xmlsafe import parse_xml
from ogc_server.view.styles import styles_for
from plugins.mapproxy_.checks import WmsError
from plugins.mapproxy_.config import LayerSpec
from plugins.mapproxy_.dimensions import WMS_NS

#: Names that mean a layer's own style.
DEFAULT_STYLES = frozenset({"", "default", "inspire_common:default"})


def route(query: str, request: str, layers: Mapping[str, LayerSpec]) -> str:
    """The query string with styles turned into their layers (:class:`WmsError` for a style
    the layer does not have); unchanged when every style is a default."""
    pairs = parse_qsl(query, keep_blank_values=True)
    first: dict[str, int] = {}
    for index, (key, _) in enumerate(pairs):
        first.setdefault(key.lower(), index)
    if request == "getlegendgraphic":
        layer_key, style_key, targets = "layer", "style", ("layer",)
    elif request in {"getmap", "getfeatureinfo"}:
        layer_key, style_key, targets = "layers", "styles", ("layers", "query_layers")
    else:
        return query
    if style_key not in first or layer_key not in first:
        return query
    names = pairs[first[layer_key]][1].split(",")
    styles = pairs[first[style_key]][1].split(",")
    if all(s.strip().lower() in DEFAULT_STYLES for s in styles):
        return query
    if len(styles) != len(names):
        raise WmsError(f"{style_key.upper()} must name one style per layer of "
                       f"{layer_key.upper()}", "StyleNotDefined", style_key)
    mapping: dict[str, str] = {}
    for name, style in zip(names, styles, strict=True):
        wanted = style.strip().lower()
        if wanted in DEFAULT_STYLES or name not in layers:
            continue  # MapProxy reports unknown layers itself
        target = style_layer(name, wanted, layers)
        if target is None:
            raise WmsError(f"layer {name} has no style {style!r}", "StyleNotDefined",
                           style_key)
        mapping[name] = target
    for key in targets:
        if key in first:
            index = first[key]
            values = [mapping.get(n, n) for n in pairs[index][1].split(",")]
            pairs[index] = (pairs[index][0], ",".join(values))
    index = first[style_key]
    pairs[index] = (pairs[index][0], "")
    return urlencode(pairs)


def style_layer(name: str, style: str, layers: Mapping[str, LayerSpec]) -> str | None:
    """The layer drawing layer ``name`` in ``style`` (lower case), or ``None``: a collection's
    layer has all its collection's styles, a style layer only its own (as capabilities say)."""
    spec = layers[name]
    if spec.band_style == style:
        return name
    if spec.base is not None:
        return None
    return next((s.name for s in layers.values()
                 if s.base == spec.name and s.band_style == style), None)


def with_styles(document: bytes, layers: Mapping[str, LayerSpec]) -> bytes:
    """WMS capabilities (1.1.1 or 1.3.0) with every style of each collection's layer."""
    root = parse_xml(document, allow_doctype=True)
    v13 = root.tag.startswith("{")
    ns = f"{{{WMS_NS}}}" if v13 else ""
    for layer in root.iter(f"{ns}Layer"):
        name = layer.find(f"{ns}Name")
        spec = layers.get(name.text or "") if name is not None else None
        if spec is None or spec.base is not None or spec.band_style is None:
            continue
        existing = layer.findall(f"{ns}Style")
        if not existing:
            continue
        styles = styles_for(spec.collection.rsplit(":", 1)[-1])
        title = existing[0].find(f"{ns}Title")
        if title is not None and styles:
            title.text = styles[0].title
        anchor = existing[-1]
        for style in styles[1:]:
            target = style_layer(spec.name, style.name, layers)
            if target is None:
                continue
            element = copy.deepcopy(existing[0])
            element.find(f"{ns}Name").text = style.name  # type: ignore[union-attr]
            element.find(f"{ns}Title").text = style.title  # type: ignore[union-attr]
            for resource in element.iter(f"{ns}OnlineResource"):
                href = resource.get("{http://www.w3.org/1999/xlink}href") or ""
                resource.set("{http://www.w3.org/1999/xlink}href",
                             href.replace(f"layer={spec.name}&", f"layer={target}&"))
            anchor.addnext(element)
            anchor = element
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")
