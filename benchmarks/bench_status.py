"""``status set`` on a park: one SQLite transaction beside a rewrite of the whole park.

- ``parkgis``: :func:`parkgis.io.store.record_park_changes` on the park as one
  GeoPackage (``.gpkg``, written once beside the cache, untimed): UPDATE the
  changed row and INSERT the event, in one transaction.
- ``rewrite``: the way of earlier versions: the park folder's record
  (read the park, write a new ``park.gpkg`` with every parcel, append the
  event, commit), on a copy of the cached folder.

Each timed call records one change (parcel 1's status, back and forth, forced),
so the two ways do the same work for the planner; only the cost differs.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["status_way"]

_DATE = dt.date(2024, 1, 2)
_AT = "2024-01-02T09:00:00+08:00"


def status_way(way: str, park: Any, folder: Path) -> tuple[Any, Any]:
    """The timed call and its check for one way of ``status set`` (see the module's notes)."""
    from parkgis.io import store
    from parkgis.model.history import StatusChange

    scratch = Path(tempfile.mkdtemp(prefix="parkgis-bench-status-"))
    pid = str(park.parcels["parcel_id"].iloc[0])
    first = str(park.parcels["acquisition_status"].iloc[0])
    state = {"to": "unacquired" if first == "acquiring" else "acquiring"}

    def change() -> list[StatusChange]:
        now = state["to"]
        state["to"] = "unacquired" if now == "acquiring" else "acquiring"
        return [StatusChange(pid, "acquisition_status", now, _DATE, "bench", force=True)]

    if way == "parkgis":
        target = scratch / "park.gpkg"
        cached = folder.with_suffix(".gpkg")
        if not cached.is_file():
            store.create_park(park, cached)
        shutil.copyfile(cached, target)

        def call(small: bool) -> Any:
            return store.record_park_changes(target, change(), recorded_at=_AT)

    else:
        target = scratch / "park"
        shutil.copytree(folder, target)

        def call(small: bool) -> Any:
            return store._record_folder(target, change(), recorded_at=_AT)

    return call, lambda events: {"recorded": len(events)}
