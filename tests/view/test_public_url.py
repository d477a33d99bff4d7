"""Capabilities name the public addresses; WMS 1.1.1 capabilities follow their DTD."""

from __future__ import annotations

import dataclasses
import re

import pytest
from lxml import etree
from werkzeug.test import Client

from ogc_server.compose import build_application
from ogc_server.services import Services
from tests.conftest import ROOT
from tests.view.helpers import get

DTD_111 = ROOT / "tests" / "schemas" / "ogc" / "wms" / "1.1.1" / "WMS_MS_Capabilities.dtd"
_PARSER = etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)


@pytest.mark.system
def test_capabilities_1_1_1_follow_the_dtd(base_url: str) -> None:
    status, _, body = get(base_url + "/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.1.1")
    assert status == 200
    dtd = etree.DTD(str(DTD_111))
    root = etree.fromstring(body, _PARSER)
    assert dtd.validate(root), dtd.error_log.filter_from_errors()[:5]
    assert root.find(".//Layer/Extent[@name='time']") is not None


def test_public_address_behind_a_proxy(view_services: Services) -> None:
    public = "https://maps.example.org/eo"
    settings = view_services.settings.model_copy(update={"public_url": public})
    client = Client(build_application(settings, dataclasses.replace(view_services,
                                                                    settings=settings)))
    for path, service in (("/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0", "wms"),
                          ("/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", "wmts")):
        body = client.get(path).data
        urls = set(re.findall(rb'href="(https?://[^"?]*)', body))
        ours = {u for u in urls if not u.startswith(b"http://schemas.")}
        assert f"{public}/{service}".encode() in ours
        assert all(u.startswith(public.encode()) for u in ours), ours
