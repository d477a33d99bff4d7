"""Docs are tested: a setting or command without a line in docs/ fails."""

from __future__ import annotations

import re

from pydantic import BaseModel

from ogc_server.cli import main
from ogc_server.settings import Settings
from tests.conftest import ROOT


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys.extend(_keys(annotation, f"{prefix}{name}."))
        else:
            keys.append(prefix + name)
    return keys


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    missing = [k for k in _keys(Settings) if f"`{k}`" not in doc]
    assert not missing, f"undocumented settings: {missing}"


def test_every_variable_of_the_default_file_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    config = (ROOT / "config" / "ogc-server.yml").read_text()
    names = set(re.findall(r"\$\{(OGC_SERVER_[A-Z_]+)", config))
    assert names and all(f"`{n}`" in doc for n in names)


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in main.commands:
        assert f"ogc-server {name}" in readme, name
