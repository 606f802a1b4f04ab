"""Write the offline map's third-party files into parkgis: ``parkgis/maps/static/vendor/``.

Run once, by a maintainer, when a file of :data:`parkgis.maps.assets.ASSETS`
changes version; the files it writes are committed, and parkgis reads them
as its own package data (it no longer needs folium-offline at run time).

The files are taken unchanged, byte for byte, from the installed
``folium-offline`` 0.20 package (``pip install 'folium-offline>=0.20,<0.21'``),
which embeds the files folium links from CDNs keyed by their URL: the same
versions parkgis's maps inlined before, so offline maps stay byte-identical.
``vendor/SHA256SUMS`` records each file's hash; ``--check`` compares the
committed files with the installed package without writing.

Usage::

    pip install 'folium-offline>=0.20,<0.21'
    python scripts/vendor_assets.py           # write the files
    python scripts/vendor_assets.py --check   # compare only
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

__all__ = ["main"]

REPO = Path(__file__).resolve().parents[1]
VENDOR = REPO / "parkgis" / "maps" / "static" / "vendor"


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the vendored files; return an exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    # The one place that reads folium-offline's private table, and only here, once.
    from offlinefolium.elements import _res as embedded

    from parkgis.maps.assets import ASSETS

    sums, differ = [], []
    for asset in ASSETS:
        text = embedded.get(asset.url)
        if text is None:
            print(f"folium-offline does not embed {asset.url}", file=sys.stderr)
            return 1
        data = text.encode("utf-8")
        sums.append(f"{hashlib.sha256(data).hexdigest()}  {asset.name}  {asset.url}")
        path = VENDOR / asset.name
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                differ.append(asset.name)
            continue
        VENDOR.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    listing = "\n".join(sums) + "\n"
    if args.check:
        if (VENDOR / "SHA256SUMS").read_text("utf-8") != listing:
            differ.append("SHA256SUMS")
        for name in differ:
            print(f"differs from folium-offline: {name}", file=sys.stderr)
        return 1 if differ else 0
    (VENDOR / "SHA256SUMS").write_text(listing, "utf-8")
    print(f"wrote {len(ASSETS)} files and SHA256SUMS to {VENDOR.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
