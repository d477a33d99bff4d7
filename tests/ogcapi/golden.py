"""Golden JSON documents of the records API in ``tests/functional/ogcapi_records``.

A mismatch writes ``<name>.json.actual`` next to the expected file and fails;
``OGC_SERVER_REGENERATE=1`` rewrites the expected files instead. Values that change from run
to run or between GDAL builds (record update times, response time stamps, the sizes and
checksums of the generated demo products) are replaced by placeholders first.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).resolve().parent.parent / "functional" / "ogcapi_records"
VOLATILE = {"updated", "timeStamp", "checksum", "size", "length"}
#: Read on import: the suite's autouse fixture clears OGC_SERVER_* variables for each test.
REGENERATE = os.environ.get("OGC_SERVER_REGENERATE") == "1"


def normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("<volatile>" if k in VOLATILE and not isinstance(v, dict) else normalise(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def check(name: str, document: Any) -> None:
    """``document`` (normalised) equals the golden file ``name``.json."""
    text = json.dumps(normalise(document), indent=2, ensure_ascii=False) + "\n"
    expected = GOLDEN / f"{name}.json"
    actual = expected.with_name(expected.name + ".actual")
    if REGENERATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        expected.write_text(text, encoding="utf-8")
        actual.unlink(missing_ok=True)
        return
    if expected.is_file() and expected.read_text(encoding="utf-8") == text:
        actual.unlink(missing_ok=True)
        return
    actual.write_text(text, encoding="utf-8")
    if not expected.is_file():
        pytest.fail(f"no golden file {expected}; wrote {actual.name} "
                    "(OGC_SERVER_REGENERATE=1 makes it the expected one)")
    pytest.fail(f"{name}: the answer differs from {expected}; see {actual}")
