"""Write the bundled Yuanba sample park to data/parcels/yuanba.gpkg.

The park is built by :func:`parkgis.sample.build_yuanba` from the figures of
the Yuanba park's first-half work report; see data/parcels/yuanba.md.
The file is written in rollback-journal mode (not WAL), so that it can be
read where it cannot be written, with a fixed timestamp, so that the same
sample gives the same content (tests/test_sample.py compares them).

Run from the repository root::

    python scripts/make_yuanba.py
"""

from __future__ import annotations

from pathlib import Path

from parkgis.io.gpkg import create_park
from parkgis.sample import build_yuanba

STAMP = "2013-07-01T00:00:00.000Z"
"""``last_change`` of every table: the end of the half year the report covers."""

if __name__ == "__main__":
    path = Path(__file__).resolve().parents[1] / "data" / "parcels" / "yuanba.gpkg"
    create_park(build_yuanba(), path, journal="delete", stamp=STAMP)
    print(f"wrote {path}")
