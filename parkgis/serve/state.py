"""The served park: a snapshot read through the one reading, kept current without making pages wait.

Every page reads the park as every command does
(:func:`parkgis.io.loose.load_park`, then
:func:`parkgis.check.reading.read_checked`): the same figures, the same
problems. A snapshot is kept with the park's *version* — for a park
GeoPackage the last event's ``seq``, the number of events and the latest
``last_change`` of its tables, for a store the last ``seq`` and the number of
events — which is asked for (cheaply) on each request.

Keeping it current:

- **an edit made here** is applied to the snapshot in memory, in the
  editor's request, before its answer: its events
  (:func:`parkgis.model.history.apply_event`), and the problems of the cells
  it changed checked again (:func:`parkgis.check.problems.check_park` on the
  changed rows, geometry not checked: it did not change). The log's ``seq``
  numbers prove nobody else wrote in between; otherwise, and for a change the
  snapshot cannot take in place (a retirement, a project's change), the
  editor's request waits for a full reading that includes its events;
- **a change made elsewhere** (``parkgis status set``, another server) is
  seen by its version: ONE background thread reads the park again while every
  page goes on being served from the previous snapshot — readers never wait
  for a reading, except the very first.

A snapshot only ever replaces one with an older log. What is derived from a
snapshot (the map's page, the figures, parcel pages) is kept with it.

A change is recorded exactly as ``parkgis status set`` records it
(:func:`parkgis.io.store.record_park_changes` or
:func:`parkgis.io.postgis.record_store_changes`): checked against the
vocabulary chains, dated, one transaction. Project assignments and
retirements go through :func:`parkgis.io.gpkg.record_parcel_event`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from parkgis.check.reading import Reading, read_checked
from parkgis.model.history import FIELDS, Event, StatusChange
from parkgis.model.park import Park

__all__ = ["ParkState", "Snapshot", "park_version"]

_LOG = logging.getLogger("parkgis.serve")
_WAIT_S = 600.0  # longest an editor's request waits for a full reading with its change
_RETRY_S = 2.0  # a failed background reading is tried again after this
_IN_PLACE = frozenset({*FIELDS["parcel"], "project_id"})  # parcel fields applied in memory
_DATED = ("acquisition_status", "acquisition_step")  # status_date follows these


@dataclass
class Snapshot:
    """The park at one version, with what has been derived from it.

    Attributes
    ----------
    version
        The park's version (see :func:`park_version`).
    reading
        The one reading of the park (private fields included: pages drop
        them for users without the right).
    seq
        The ``seq`` of the last event in the snapshot's log (0 for none).
    cache
        Derived values (map pages, figures, parcel pages), by key.
    """

    version: str
    reading: Reading
    seq: int = 0
    cache: dict[Any, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    making: dict[Any, threading.Lock] = field(default_factory=dict)

    @property
    def park(self) -> Park:
        """The park as read."""
        return self.reading.park

    def derived(self, key: Any, make: Callable[[], Any]) -> Any:
        """The value kept under ``key``, made once (by one thread) when first asked for.

        Only the threads asking for the same key wait for each other.
        """
        if key in self.cache:
            return self.cache[key]
        with self.lock:
            making = self.making.setdefault(key, threading.Lock())
        with making:
            if key not in self.cache:
                self.cache[key] = make()
        return self.cache[key]

    def positions(self) -> tuple[dict[str, int], dict[str, int]]:
        """Each parcel id's position in ``park.parcels`` and in ``reading.measured.parcels``.

        The first position of an id listed twice (validate reports it).
        """
        return self.derived("positions", lambda: _positions(self.reading))


def park_version(path: str | os.PathLike[str]) -> str:
    """A text that changes whenever the park changes; it starts with the last event's ``seq``.

    A park GeoPackage: the last event's ``seq``, the number of events and the
    latest ``last_change`` of ``gpkg_contents``; a store: the last event's
    ``seq`` and the number of events; a park folder: the modification times
    of its files.
    """
    from parkgis.io.postgis import is_store_url

    if is_store_url(path):
        return _store_version(str(path))
    p = Path(path)
    if p.is_dir():
        return "0-" + ";".join(f"{f.name}:{f.stat().st_mtime_ns}" for f in sorted(p.iterdir()))
    uri = f"{p.resolve().as_uri()}?mode=ro"
    con = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=60)
    try:
        seq = con.execute("SELECT coalesce(max(seq), 0), count(*) FROM events").fetchone()
        last = con.execute("SELECT max(last_change) FROM gpkg_contents").fetchone()[0]
    finally:
        con.close()
    return f"{seq[0]}-{seq[1]}-{last}"


def _store_version(url: str) -> str:
    from psycopg import sql

    from parkgis.io.postgis import _connect, _park_schema

    with _connect(url) as conn:
        schema = _park_schema(conn, url)
        row = conn.execute(
            sql.SQL("SELECT coalesce(max(seq), 0), count(*) FROM {}.events").format(
                sql.Identifier(schema)
            )
        ).fetchone()
    return f"{row[0]}-{row[1]}"


def _version_seq(version: str) -> int:
    try:
        return int(version.split("-", 1)[0])
    except ValueError:
        return -1


class ParkState:
    """The served park: its current snapshot, and the ways to change it.

    Parameters
    ----------
    path
        A park GeoPackage, an older park folder (read-only) or a store URL.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        from parkgis.io.postgis import is_store_url

        self.path: str | Path = str(path) if is_store_url(path) else Path(path)
        self._snapshot: Snapshot | None = None
        self._lock = threading.Condition()  # guards _snapshot, _reader, _failed_at
        self._first = threading.Lock()
        self._edit = threading.Lock()  # one edit of this server at a time
        self._editing = False
        self._reader: threading.Thread | None = None
        self._failed_at = 0.0

    @property
    def is_store(self) -> bool:
        """Whether the park is a PostGIS store."""
        return isinstance(self.path, str)

    @property
    def writable(self) -> bool:
        """Whether changes can be recorded (a park GeoPackage or a store, not a folder)."""
        return self.is_store or not Path(self.path).is_dir()

    def version(self) -> str:
        """The park's version now (see :func:`park_version`)."""
        return park_version(self.path)

    def current(self) -> Snapshot:
        """The snapshot to serve now, never waiting for a reading (but the first).

        When the park has changed elsewhere, one background thread reads it
        again; until it is done, the previous snapshot is served.
        """
        snap = self._snapshot
        if snap is None:
            return self._read_first()
        if not self._editing and self.version() != snap.version:
            self._read_in_background()
        return self._snapshot or snap

    def latest(self) -> Snapshot:
        """The snapshot read last, without asking whether the park has changed since."""
        return self._snapshot if self._snapshot is not None else self._read_first()

    def wait_for(self, seq: int, *, timeout_s: float = _WAIT_S) -> Snapshot:
        """The first snapshot whose log reaches event ``seq`` (read in the background)."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while self._snapshot is None or self._snapshot.seq < seq:
                if self._reader is None:
                    self._start_reader()
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(min(left, 1.0))
            assert self._snapshot is not None
            return self._snapshot

    # ------------------------------------------------------------------ reading

    def _read_first(self) -> Snapshot:
        with self._first:
            if self._snapshot is None:
                self._offer(self._read(self.version()))
        assert self._snapshot is not None
        return self._snapshot

    def _read(self, version: str) -> Snapshot:
        from parkgis.io.loose import load_park

        park = load_park(self.path, private=True).park
        reading = read_checked(park)
        return Snapshot(version=version, reading=reading, seq=_last_seq(park))

    def _read_in_background(self) -> None:
        with self._lock:
            if self._reader is None and time.monotonic() - self._failed_at > _RETRY_S:
                self._start_reader()

    def _start_reader(self) -> None:  # under self._lock
        self._reader = threading.Thread(target=self._reread, name="parkgis-reread", daemon=True)
        self._reader.start()

    def _reread(self) -> None:
        snap = None
        try:
            snap = self._read(self.version())
        except Exception:  # the previous snapshot is served; tried again on a later request
            _LOG.exception("parkgis serve: reading %s again failed", self.path)
        with self._lock:
            self._reader = None
            if snap is None:
                self._failed_at = time.monotonic()
            else:
                self._offer(snap)
            self._lock.notify_all()

    def _offer(self, snap: Snapshot) -> None:
        """Serve ``snap`` from now on, unless the snapshot served has a longer log."""
        with self._lock:
            if self._snapshot is None or snap.seq >= self._snapshot.seq:
                self._snapshot = snap
            self._lock.notify_all()

    # ------------------------------------------------------------------ changes

    def record(self, changes: Sequence[StatusChange]) -> tuple[Event, ...]:
        """Record changes as ``parkgis status set`` does: checked, one transaction.

        When this returns, the snapshot served includes the changes.

        Raises
        ------
        InputError
            For a park folder (convert it with ``parkgis copy``) or the bundled park.
        DataError, VocabularyError
            For a change that cannot be recorded; nothing is written then.
        """

        def write(recorded_at: str) -> tuple[Event, ...]:
            if self.is_store:
                from parkgis.io.postgis import record_store_changes

                return record_store_changes(str(self.path), changes, recorded_at=recorded_at)
            from parkgis.io.store import record_park_changes

            return record_park_changes(self.path, changes, recorded_at=recorded_at)

        return self._edited(write)

    def record_parcel(
        self,
        parcel_id: str,
        field: str,
        to: str | None,
        *,
        date: dt.date,
        by: str,
        note: str | None = None,
        evidence: str | None = None,
    ) -> tuple[Event, ...]:
        """Record a project assignment (``project_id``) or a retirement (``retired``).

        See :func:`parkgis.io.gpkg.record_parcel_event`.

        Raises
        ------
        InputError
            For a store or a park folder: not recorded there from the browser yet.
        DataError
            For a change that cannot be recorded; nothing is written then.
        """
        if self.is_store or not self.writable:
            from parkgis.errors import InputError

            raise InputError(
                "project assignments and retirements are recorded in a park GeoPackage only "
                "(use 'parkgis import --update' for a store)",
                zh="项目归属与地块注销目前只能记录在园区 GeoPackage 中（数据库请用 "
                "'parkgis import --update'）",
            )
        from parkgis.io.gpkg import record_parcel_event

        def write(recorded_at: str) -> tuple[Event, ...]:
            event = record_parcel_event(
                self.path, parcel_id, field, to, date=date, by=by, note=note,
                evidence=evidence, recorded_at=recorded_at,
            )  # fmt: skip
            return (event,)

        return self._edited(write)

    def _edited(self, write: Callable[[str], tuple[Event, ...]]) -> tuple[Event, ...]:
        """Write (one transaction), then bring the snapshot up to the events written."""
        self.latest()
        recorded_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        with self._edit:
            self._editing = True
            try:
                events = write(recorded_at)
                if events and not self._apply(events):
                    self.wait_for(max(e.seq or 0 for e in events))
            finally:
                self._editing = False
        return events

    def _apply(self, events: Sequence[Event]) -> bool:
        """Apply events just written to the snapshot in memory; False when it cannot be."""
        snap = self._snapshot
        if snap is None:
            return False
        seqs = [e.seq for e in events]
        version = self.version()
        contiguous = seqs == list(range(snap.seq + 1, snap.seq + 1 + len(events)))
        if not contiguous or _version_seq(version) != seqs[-1]:
            return False  # someone else wrote too: read it all
        if any(e.entity != "parcel" or e.field not in _IN_PLACE for e in events):
            return False
        try:
            reading = _applied(snap, events)
        except Exception:  # an unforeseen shape of park: read it all instead
            _LOG.exception("parkgis serve: applying events in memory failed; reading again")
            return False
        touched = {e.entity_id for e in events}
        new = Snapshot(version=version, reading=reading, seq=int(seqs[-1]))
        new.cache = {
            k: v
            for k, v in list(snap.cache.items())
            if k == "positions"
            or (isinstance(k, tuple) and k[0] == "parcel" and k[1] not in touched)
        }
        self._offer(new)
        return True


# --------------------------------------------------------------------------- helpers


def _last_seq(park: Park) -> int:
    events = park.events
    if not len(events):
        return 0
    return int(np.nanmax(events["seq"].to_numpy(dtype=float)))


def _positions(reading: Reading) -> tuple[dict[str, int], dict[str, int]]:
    def where(parcels: Any) -> dict[str, int]:
        if "parcel_id" not in parcels.columns:
            return {}
        out: dict[str, int] = {}
        for i, v in enumerate(parcels["parcel_id"].to_numpy(dtype=object)):
            if v is not None and v == v:
                out.setdefault(str(v), i)
        return out

    return where(reading.park.parcels), where(reading.measured.parcels)


def _applied(snap: Snapshot, events: Sequence[Event]) -> Reading:
    """The snapshot's reading with parcel value events applied, their cells checked again.

    Geometry and positions do not change, so the measured areas, the notes
    (repairs, parcels left out) and the geometry problems stay as they are.
    """
    from parkgis.model.history import apply_event

    reading = snap.reading
    at, measured_at = snap.positions()
    park, measured = reading.park, reading.measured
    changed: dict[int, set[str]] = {}
    for event in events:
        pos = at[event.entity_id]
        park = apply_event(park, event)
        if event.entity_id in measured_at:
            measured = apply_event(measured, event)
        fields = changed.setdefault(pos, set())
        fields.add(event.field)
        if event.field in _DATED:
            fields.add("status_date")
    measured = measured.replace(events=park.events)
    problems = _rechecked(reading.problems, park, changed)
    return Reading(park=park, problems=problems, measured=measured, area_mu=reading.area_mu,
                   rows=reading.rows, notes=reading.notes)  # fmt: skip


def _rechecked(
    problems: Sequence[Any], park: Park, changed: dict[int, set[str]]
) -> tuple[Any, ...]:
    """``problems`` with those of the changed cells found again (the rows alone, no geometry)."""
    from parkgis.check.problems import check_park

    def of_cell(p: Any) -> bool:
        if p.table != "parcels" or "count" in p.details:  # a group of problems stays whole
            return False
        fields = changed.get((p.row or 0) - 1)
        return fields is not None and p.details.get("field") in fields

    kept = [p for p in problems if not of_cell(p)]
    positions = sorted(changed)
    rows = park.parcels.iloc[positions]
    one = park.replace(parcels=rows, allocations=park.allocations.iloc[:0], value_issues=())
    found = check_park(one, rows=[p + 1 for p in positions], area_mu=np.full(len(rows), np.nan))
    return tuple(sorted([*kept, *[p for p in found.problems if of_cell(p)]], key=_order))


def _order(p: Any) -> tuple[Any, ...]:
    """The order of ``check_park`` (stable: ties keep their order)."""
    from parkgis.check.problems import CODES
    from parkgis.model.schema import TABLES

    tables = ("parcels", "projects", "allocations", "constraints", "targets")
    rank = tables.index(p.table) if p.table in tables else len(tables)
    group = 1 if p.row is not None else (2 if p.code == "gap" else 0)
    names = TABLES[p.table].names if p.table in TABLES else []
    name = p.details.get("field")
    where = names.index(name) if name in names else len(names)
    return (rank, group, p.row or 0, list(CODES).index(p.code), where)
