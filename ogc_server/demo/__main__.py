"""``python -m ogc_server.demo OUT_DIR [--products N] [--seed S] [--workers W]``.

``--metadata-only`` writes manifests and metadata files without raster data.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from ogc_server.demo import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ogc_server.demo",
                                     description="Write a demo rolling archive.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--now", help="reference time (ISO 8601, UTC); default today 00:00")
    parser.add_argument("--config", type=Path, help="configuration file (collections, regions)")
    parser.add_argument("--raster-scale", type=float, default=1.0)
    parser.add_argument("--metadata-only", action="store_true",
                        help="write manifests and metadata files only, no raster data")
    args = parser.parse_args(argv)
    now = datetime.fromisoformat(args.now).replace(tzinfo=UTC) if args.now else None
    started = time.monotonic()
    paths = generate(args.out_dir, products=args.products, seed=args.seed, now=now,
                     workers=args.workers, config=args.config, raster_scale=args.raster_scale,
                     rasters=not args.metadata_only)
    print(f"{len(paths)} products in {args.out_dir} ({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
