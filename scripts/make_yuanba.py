"""Write the bundled Yuanba sample park to data/parcels/yuanba/.

The park is built by :func:`parkgis.sample.build_yuanba` from the figures of
the Yuanba park's first-half work report; see data/parcels/yuanba/README.md.

Run from the repository root::

    python scripts/make_yuanba.py
"""

from __future__ import annotations

from pathlib import Path

from parkgis.io.store import write_park
from parkgis.sample import build_yuanba

if __name__ == "__main__":
    folder = Path(__file__).resolve().parents[1] / "data" / "parcels" / "yuanba"
    write_park(build_yuanba(), folder)
    print(f"wrote {folder}")
