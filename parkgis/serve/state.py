"""The served park: a snapshot read through the one reading, kept current without making pages wait.

Every page reads the park as every command does
(:func:`parkgis.io.loose.load_park`, then
:func:`parkgis.check.reading.read_checked`): the same figures, the same
problems. A snapshot is kept with the park's *version* — for a park
GeoPackage the last event's ``seq``, the number of events and the latest
``last_change`` of its tables, for a store the last ``seq`` and the number of
events — which is asked for (cheaply) on each request.

Keeping it current:

- **an edit made here** (a status, step or title, a project assignment) is
  applied to the snapshot in memory, in the editor's request, before its
  answer, touching only what it changes (:func:`_applied`): the changed
  cells (a copy of each changed column; the rest of the frame is shared),
  the log (the new rows appended), the problems of the changed rows
  (:func:`parkgis.check.problems.check_park` on those rows before and after,
  geometry not checked: it did not change), the summary's status codes and
  the parcels' land figures (:mod:`parkgis.serve.land`). The result equals a
  fresh reading (tests/test_serve.py checks it). The log's ``seq`` numbers
  prove nobody else wrote in between; otherwise, and for a change the
  snapshot cannot take in place (a retirement, a split or merge, a project's
  change), the editor's request waits for a full reading that includes its
  events;
- **a change made elsewhere** (``parkgis status set``, another server) is
  seen by its version: ONE background thread reads the park again while every
  page goes on being served from the previous snapshot — readers never wait
  for a reading, except the very first.

A snapshot only ever replaces one with an older log. What is derived from a
snapshot (the figures, parcel pages) is kept with it, and the map's pages
with its :class:`Generation`, which the snapshots made by edits of values
share (:mod:`parkgis.serve.live`: open maps take those edits in place); a full
reading also makes, in its own thread, what every page and edit needs (the
positions of the ids, the index of the log, the land figures of every
parcel), and an edit applied in memory passes on what it leaves unchanged.

A change is recorded exactly as ``parkgis status set`` records it
(:func:`parkgis.io.store.record_park_changes` or
:func:`parkgis.io.postgis.record_store_changes`): checked against the
vocabulary chains, dated, one transaction. Project assignments and
retirements go through :func:`parkgis.io.gpkg.record_parcel_event`, splits and
merges through :func:`parkgis.io.gpkg.reshape_park` (the events of
:func:`parkgis.model.reshape.reshape_events`, as ``import --update`` records them,
written with the parcels involved only).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from parkgis.check.reading import Reading, read_checked
from parkgis.model.history import FIELDS, Event, StatusChange
from parkgis.model.park import Park

if TYPE_CHECKING:
    from parkgis.model.reshape import Reshape
    from parkgis.serve.land import ParcelFigures

__all__ = ["KEEPS_GENERATION", "Generation", "ParkState", "Snapshot", "park_version"]

_LOG = logging.getLogger("parkgis.serve")
_WAIT_S = 600.0  # longest an editor's request waits for a full reading with its change
_RETRY_S = 2.0  # a failed background reading is tried again after this
_IN_PLACE = frozenset({*FIELDS["parcel"], "project_id"})  # parcel fields applied in memory
_DATED = ("acquisition_status", "acquisition_step")  # status_date follows these
KEEPS_GENERATION = frozenset({*_IN_PLACE, "retired"})
"""Parcel fields whose events leave the park drawn as it was but for values (see
:class:`Generation`): status, step, title, project and retirement."""


@dataclass(eq=False, kw_only=True)
class _Keeps:
    """Values derived once and kept, by key (``cache``), each made by one thread."""

    cache: dict[Any, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    making: dict[Any, threading.Lock] = field(default_factory=dict)

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


@dataclass(eq=False)
class Generation(_Keeps):
    """What the snapshots of one drawing of the park share: its map pages.

    A full reading starts a generation. An edit made here that changes only
    values of parcels (:data:`KEEPS_GENERATION`: a status, step or title, a
    project, a retirement) keeps it, whether it is applied in memory or read
    again: a map drawn in the generation stays true once the browser applies
    the changes since (:mod:`parkgis.serve.live`). A split, a merge or a
    change made elsewhere starts a new one.

    Attributes
    ----------
    token
        A random text naming the generation (never the same twice, also
        across restarts of the server).
    cache
        Values kept for the generation (map pages, reserve-zone outlines), by key.
    """

    token: str = field(default_factory=lambda: secrets.token_hex(8))

    def forget(self, key: Any, value: Any = None) -> None:
        """Drop the value kept under ``key`` (made again when next asked for).

        With ``value``, only if the value kept is that one (not one made since).
        """
        with self.lock:
            if value is None or self.cache.get(key) is value:
                self.cache.pop(key, None)


@dataclass
class Snapshot(_Keeps):
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
        Derived values (figures, parcel pages), by key.
    generation
        The drawing of the park this snapshot shares with others (its map
        pages, see :class:`Generation`).
    """

    version: str
    reading: Reading
    seq: int = 0
    generation: Generation = field(default_factory=Generation)

    @property
    def park(self) -> Park:
        """The park as read."""
        return self.reading.park

    def positions(self) -> tuple[dict[str, int], dict[str, int]]:
        """Each parcel id's position in ``park.parcels`` and in ``reading.measured.parcels``.

        The first position of an id listed twice (validate reports it).
        """
        return self.derived("positions", lambda: _positions(self.reading))

    def events_of(self, entity_id: str) -> pd.DataFrame:
        """The rows of the log whose ``entity_id`` is ``entity_id``, in log order.

        Found through an index of the log made once per full reading (and
        extended by the edits applied in memory), not by a scan.
        """
        log = self.park.events
        index = self.derived("events", lambda: _EventRows(log))
        return log.iloc[index.of(entity_id, len(log))]

    def figures(self) -> ParcelFigures:
        """The buildable and reserve figures of each measured parcel (:mod:`parkgis.serve.land`)."""
        from parkgis.serve.land import parcel_figures

        return self.derived("figures", lambda: parcel_figures(self.reading))

    def status_codes(self) -> np.ndarray:
        """Each measured parcel's acquisition status as its place in the chain (``len`` if none)."""
        return self.derived("status", lambda: _status_codes(self.reading.measured.parcels))

    def duplicated(self) -> frozenset[str]:
        """The parcel ids listed more than once in ``park.parcels`` (validate reports them)."""
        return self.derived("duplicated", lambda: _duplicated_ids(self.park.parcels))

    def project_rows(self) -> dict[str, list[int]]:
        """The positions in ``park.projects`` of each project id."""
        return self.derived("project_rows", lambda: _project_rows(self.park.projects))


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
        self._expected: tuple[Snapshot | None, tuple[Event, ...]] | None = None

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
        version = self.version()
        # In this order: an edit of this server sets _editing before it writes and
        # offers its snapshot before it clears it, so a version that includes the
        # edit is never taken for a change made elsewhere.
        if version != snap.version and not self._editing:
            latest = self._snapshot or snap
            if version != latest.version and _version_seq(version) >= latest.seq:
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
        from parkgis.io.reading_cache import default_cache

        park = load_park(self.path, private=True).park
        reading = read_checked(park, memo=default_cache())
        snap = Snapshot(version=version, reading=reading, seq=_last_seq(park))
        for make in (snap.positions, snap.duplicated, snap.project_rows, snap.status_codes,
                     snap.figures):  # fmt: skip
            make()  # here, in the reading's thread: no page or edit waits for them
        snap.events_of("")
        return snap

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
        if snap is not None:
            self._keep_generation(snap)
        with self._lock:
            self._reader = None
            if snap is None:
                self._failed_at = time.monotonic()
            else:
                self._offer(snap)
            self._lock.notify_all()

    def _keep_generation(self, snap: Snapshot) -> None:
        """Give ``snap`` the generation of the snapshot served when it only adds our value edits.

        That is, when this server is waiting for a reading of events it
        wrote (an edit not applied in memory, such as a retirement) and
        ``snap`` is the snapshot served with exactly those events, which
        change values only (:func:`_same_drawing`). Otherwise ``snap``
        starts a generation of its own.
        """
        expected = self._expected
        if expected is None:
            return
        before, events = expected
        if before is None or self._snapshot is not before:
            return  # another snapshot came in between
        try:
            same = _same_drawing(before, snap, events)
        except Exception:  # an unforeseen shape of park: a new generation, never a wrong map
            _LOG.exception("parkgis serve: comparing the drawing of two readings failed")
            return
        if same:
            snap.generation = before.generation

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
        from parkgis.io.writing import check_writable

        check_writable(self.path)  # never the bundled sample park
        from parkgis.io.gpkg import record_parcel_event

        def write(recorded_at: str) -> tuple[Event, ...]:
            event = record_parcel_event(
                self.path, parcel_id, field, to, date=date, by=by, note=note,
                evidence=evidence, recorded_at=recorded_at,
            )  # fmt: skip
            return (event,)

        return self._edited(write)

    def record_reshape(
        self,
        make: Callable[[Park], Reshape],
        *,
        date: dt.date,
        by: str,
        note: str,
        evidence: str | None = None,
    ) -> tuple[Event, ...]:
        """Record a split or a merge as ``import --update`` records one, in one transaction.

        ``make`` gets the park as stored, with its private fields — the
        snapshot served when nobody has changed the file since it was read,
        else the file read again — and returns the change
        (:func:`parkgis.model.reshape.merge_parcels` or
        :func:`~parkgis.model.reshape.split_parcel`, which check it); its
        events come from :func:`parkgis.model.reshape.reshape_events`
        (``split``/``merge``, ``retired``, ``added``; ``by`` the user) and
        :func:`parkgis.io.gpkg.record_reshape` writes only the parcels
        involved, refusing the change if one of them has changed since the
        park was read. The snapshot served then is a full reading that
        includes it.

        Raises
        ------
        InputError
            For a store (it keeps no retired parcels yet) or a park folder
            (convert it with ``parkgis copy``).
        DataError
            For a change that cannot be recorded; nothing is written then.
        """
        if self.is_store:
            from parkgis.errors import InputError

            raise InputError(
                "splits and merges are recorded in a park GeoPackage only: a store keeps no "
                "retired parcels yet, which --as-of needs to give them back",
                zh="分宗与合宗目前只能记录在园区 GeoPackage 中：数据库暂不保存已注销地块，"
                "而按日期回看（--as-of）需要它们",
            )
        if not self.writable:
            from parkgis.io.store import folder_write_error

            raise folder_write_error(Path(self.path))
        from parkgis.io.gpkg import reshape_park

        def write(recorded_at: str) -> tuple[Event, ...]:
            snap = self.latest()
            park = snap.park if snap.version == self.version() else None  # None: read it now
            return reshape_park(
                self.path, make, date=date, by=by, note=note, evidence=evidence,
                recorded_at=recorded_at, park=park,
            )  # fmt: skip

        return self._edited(write)

    def _edited(self, write: Callable[[str], tuple[Event, ...]]) -> tuple[Event, ...]:
        """Write (one transaction), then bring the snapshot up to the events written."""
        self.latest()
        recorded_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        with self._edit:
            self._editing = True
            before = self._snapshot
            try:
                events = write(recorded_at)
                if events and not self._apply(events):
                    self._expected = (before, tuple(events))  # see _keep_generation
                    try:
                        self.wait_for(max(e.seq or 0 for e in events))
                    finally:
                        self._expected = None
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
            new = _applied(snap, events, version)
        except Exception:  # an unforeseen shape of park: read it all instead
            _LOG.exception("parkgis serve: applying events in memory failed; reading again")
            return False
        if new is None:
            return False
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


def _applied(snap: Snapshot, events: Sequence[Event], version: str) -> Snapshot | None:
    """The snapshot with parcel value events applied in place; None when it cannot be.

    Only what the events change is touched: the changed columns of the
    parcels (a copy of each such column; the other columns are shared), the
    log (the new rows appended), the problems of the changed rows (found
    again on those rows alone, :func:`_rechecked`), the status codes and the
    land figures (:meth:`parkgis.serve.land.ParcelFigures.after`). Geometry
    and positions do not change, so the measured areas, the notes (repairs,
    parcels left out) and the geometry problems stay as they are. The result
    is what reading the park again gives (tests/test_serve.py checks it).
    """
    reading = snap.reading
    park, measured = reading.park, reading.measured
    at, measured_at = snap.positions()
    cells: dict[str, dict[int, Any]] = {}
    measured_cells: dict[str, dict[int, Any]] = {}
    changed: dict[int, dict[str, tuple[Any, Any]]] = {}
    for event in events:
        pos = at.get(event.entity_id)
        if pos is None:
            return None
        values = [(event.field, event.to)]
        if event.field in _DATED:
            values.append(("status_date", event.date.isoformat()))
        where = measured_at.get(event.entity_id)
        for name, value in values:
            cells.setdefault(name, {})[pos] = value
            if where is not None:
                measured_cells.setdefault(name, {})[where] = value
        if where is not None:
            before = _cell(measured.parcels, event.field, where)
            was = changed.setdefault(where, {}).get(event.field, (before, None))[0]
            changed[where][event.field] = (was, event.to)
    rows = sorted({p for column in cells.values() for p in column})
    if _touched_ids(events) & snap.duplicated() or _has_value_issues(park, rows):
        return None  # rows that cannot be keyed by id, or cells read with a doubt
    log = _appended(park.events, events)
    private = park.manifest.private_fields
    new_park = park.replace(parcels=_with_cells(park.parcels, cells, private), events=log)
    new_measured = measured.replace(
        parcels=_with_cells(measured.parcels, measured_cells, private), events=log
    )
    problems = _rechecked(reading.problems, park, new_park, rows, snap.project_rows())
    if problems is None:
        return None
    new_reading = Reading(park=new_park, problems=problems, measured=new_measured,
                          area_mu=reading.area_mu, rows=reading.rows,
                          notes=reading.notes)  # fmt: skip
    new = Snapshot(version=version, reading=new_reading, seq=int(events[-1].seq or 0),
                   generation=snap.generation)  # fmt: skip
    _carry(snap, new, events, changed)
    return new


def _carry(old: Snapshot, new: Snapshot, events: Sequence[Event], changed: Any) -> None:
    """Give ``new`` what ``old`` derived that the events leave as it was, or update it."""
    from parkgis.serve.land import ParcelFigures

    cache = old.cache
    kept: dict[Any, Any] = {
        k: cache[k] for k in ("positions", "duplicated", "project_rows", "projects") if k in cache
    }
    if "status" in cache:
        codes = cache["status"]
        moved = {p: c["acquisition_status"][1] for p, c in changed.items()
                 if "acquisition_status" in c}  # fmt: skip
        if moved:
            codes = codes.copy()
            for pos, status in moved.items():
                codes[pos] = _status_code(status)
        kept["status"] = codes
    index = cache.get("events")
    if index is not None:
        extended = index.extended(events, len(old.park.events))
        if extended is not None:
            kept["events"] = extended
    redone: frozenset[int] | None = frozenset()
    figures = cache.get("figures")
    if isinstance(figures, ParcelFigures):
        kept["figures"] = after = figures.after(new.reading, changed)
        redone = after.touched  # None: computed again for the whole park
    touched = _touched_ids(events)
    _, measured_at = old.positions()
    for key, value in list(cache.items()):  # pages add to it meanwhile
        if not (isinstance(key, tuple) and key[0] == "parcel") or key[1] in touched:
            continue
        if redone is None or measured_at.get(key[1]) in redone:
            continue
        kept[key] = value
    new.cache = kept


def _same_drawing(before: Snapshot, after: Snapshot, events: Sequence[Event]) -> bool:
    """Whether ``after`` draws as ``before`` but for the values and retirements of ``events``.

    True when ``after``'s log is ``before``'s with exactly ``events``
    appended, each event changes a value of a parcel or retires one
    (:data:`KEEPS_GENERATION`), no parcel id is listed twice, and the
    parcels measured (their ids, order and geometry, the retired ones left
    out), the constraints, projects, allocations, manifest and notes are
    those of ``before``.
    """
    import shapely

    seqs = [e.seq for e in events]
    if not seqs or seqs != list(range(before.seq + 1, before.seq + 1 + len(seqs))):
        return False
    if after.seq != seqs[-1] or len(after.park.events) != len(before.park.events) + len(seqs):
        return False
    for e in events:
        if e.entity != "parcel" or e.field not in KEEPS_GENERATION:
            return False
        if e.field == "retired" and e.to != "true":
            return False
    if before.duplicated() or after.duplicated():
        return False
    old, new = before.reading, after.reading
    for name in ("constraints", "projects", "allocations"):
        a, b = getattr(old.park, name), getattr(new.park, name)
        if (a is None) != (b is None) or (a is not None and not a.equals(b)):
            return False
    if old.park.manifest != new.park.manifest or old.note_texts("en") != new.note_texts("en"):
        return False
    _, old_at = before.positions()
    ids = new.measured.parcels["parcel_id"].tolist()
    retired = {e.entity_id for e in events if e.field == "retired"}
    kept = [pid for pid in old.measured.parcels["parcel_id"].tolist() if pid not in retired]
    if ids != kept or any(pid is None or str(pid) not in old_at for pid in ids):
        return False
    if new.measured.parcels.crs != old.measured.parcels.crs:
        return False
    where = np.array([old_at[str(pid)] for pid in ids], dtype=np.int64)
    a = np.asarray(new.measured.parcels.geometry.array, dtype=object)
    b = np.asarray(old.measured.parcels.geometry.array, dtype=object)[where]
    both_missing = shapely.is_missing(a) & shapely.is_missing(b)
    return bool(np.all(shapely.equals_exact(a, b, tolerance=0) | both_missing))


class _EventRows:
    """The rows of each entity's events in a log that only grows.

    Made once per full reading; the snapshots made from it by edits applied
    in memory share it (each uses only the rows of its own log).
    """

    def __init__(self, log: pd.DataFrame) -> None:
        self._rows: dict[str, list[int]] = {}
        for pos, entity_id in enumerate(log["entity_id"].tolist()):
            self._rows.setdefault(str(entity_id), []).append(pos)
        self._length = len(log)
        self._lock = threading.Lock()

    def of(self, entity_id: str, length: int) -> list[int]:
        """The rows of ``entity_id`` among the first ``length`` rows of the log."""
        return [p for p in self._rows.get(entity_id, ()) if p < length]

    def extended(self, events: Sequence[Event], start: int) -> _EventRows | None:
        """This index with ``events`` appended at row ``start``; None if it does not end there."""
        with self._lock:
            if start != self._length:
                return None
            for k, event in enumerate(events):
                self._rows.setdefault(event.entity_id, []).append(start + k)
            self._length += len(events)
        return self


def _cell(frame: pd.DataFrame, column: str, pos: int) -> Any:
    if column not in frame.columns:
        return None
    value = frame[column].iat[pos]
    return None if value is None or (isinstance(value, float) and value != value) else value


def _with_cells(frame: Any, cells: dict[str, dict[int, Any]], private: Sequence[str]) -> Any:
    """``frame`` with some cells set: each column changed is a new array, the rest is shared.

    A column the frame lacks goes where the park's reader puts a column the
    store has just added: after the stored ones, before the private fields
    and the geometry.
    """
    if not cells:
        return frame
    out = frame.copy(deep=False)
    for column, values in cells.items():
        if column in frame.columns:
            array = frame[column].to_numpy(dtype=object, copy=True)
        else:
            array = np.full(len(frame), None, dtype=object)
        for pos, value in values.items():
            array[pos] = value
        series = pd.Series(array, index=frame.index, dtype=object)
        if column in out.columns:
            out[column] = series
        else:
            last = {*private, out.geometry.name}
            where = next((k for k, c in enumerate(out.columns) if c in last), len(out.columns))
            out.insert(where, column, series)
    return out


def _appended(log: pd.DataFrame, events: Sequence[Event]) -> pd.DataFrame:
    """The log with ``events`` appended (its rows copied, not rebuilt from events)."""
    from parkgis.model.history import events_frame

    rows = events_frame(events)
    if not len(log):
        return rows
    return pd.concat([log, rows], ignore_index=True)


def _touched_ids(events: Sequence[Event]) -> set[str]:
    """The ids of the entities ``events`` change."""
    return {e.entity_id for e in events}


def _duplicated_ids(parcels: pd.DataFrame) -> frozenset[str]:
    from parkgis.model.values import ids_text

    if "parcel_id" not in parcels.columns:
        return frozenset()
    seen: set[str] = set()
    twice: set[str] = set()
    for pid in ids_text(parcels["parcel_id"].to_numpy(dtype=object)):
        if pid is not None:
            (twice if pid in seen else seen).add(pid)
    return frozenset(twice)


def _has_value_issues(park: Park, rows: Sequence[int]) -> bool:
    """Whether a cell of these rows was read with a doubt (its problem would change)."""
    wanted = {p + 1 for p in rows}
    return any(i.table == "parcels" and i.row in wanted for i in park.value_issues)


def _status_codes(parcels: pd.DataFrame) -> np.ndarray:
    if "acquisition_status" not in parcels.columns:
        return np.full(len(parcels), _status_code(None), dtype=np.int64)
    index = _status_index()
    other = len(index)
    values = parcels["acquisition_status"].tolist()
    return np.array([index.get(v, other) if isinstance(v, str) else other for v in values],
                    dtype=np.int64)  # fmt: skip


def _status_code(value: Any) -> int:
    index = _status_index()
    return index.get(value, len(index)) if isinstance(value, str) else len(index)


@functools.cache
def _status_index() -> dict[str, int]:
    """Each acquisition status code's place in the chain."""
    from parkgis.model.vocab import ACQUISITION

    return {code: k for k, code in enumerate(ACQUISITION.codes)}


def _project_rows(projects: pd.DataFrame) -> dict[str, list[int]]:
    from parkgis.model.values import ids_text

    out: dict[str, list[int]] = {}
    if "project_id" in projects.columns:
        for pos, pid in enumerate(ids_text(projects["project_id"].to_numpy(dtype=object))):
            if pid is not None:
                out.setdefault(pid, []).append(pos)
    return out


def _rechecked(
    problems: Sequence[Any],
    before: Park,
    after: Park,
    rows: Sequence[int],
    project_rows: dict[str, list[int]],
) -> tuple[Any, ...] | None:
    """``problems`` after cells of ``rows`` changed: those rows checked before and after.

    The problems the rows have alone (with the projects they name) before
    the change are taken out, those they have after it put in, each at its
    place in ``check_park``'s order. None when a problem to take out is not
    found (then the park is read again).
    """
    from bisect import bisect_left, insort

    old = _row_problems(before, rows, project_rows)
    new = _row_problems(after, rows, project_rows)
    if old == new:
        return tuple(problems)
    out = list(problems)
    for problem in old:
        if problem in new:
            continue
        key = _order(problem)
        i = bisect_left(out, key, key=_order)
        while i < len(out) and out[i] != problem and _order(out[i]) == key:
            i += 1
        if i >= len(out) or out[i] != problem:
            return None
        del out[i]
    for problem in new:
        if problem not in old:
            insort(out, problem, key=_order)
    return tuple(out)


def _row_problems(park: Park, rows: Sequence[int], project_rows: dict[str, list[int]]) -> list[Any]:
    """The problems of the parcels of ``rows`` checked alone, with the projects they name."""
    from parkgis.check.problems import check_park
    from parkgis.land.allocation import split_ids

    parcels = park.parcels.iloc[list(rows)]
    named: set[str] = set()
    if "project_id" in parcels.columns:
        for value in parcels["project_id"].tolist():
            named.update(split_ids(value))
    wanted = sorted(p for pid in named for p in project_rows.get(pid, []))
    one = park.replace(parcels=parcels, projects=park.projects.iloc[wanted],
                       allocations=park.allocations.iloc[:0], value_issues=())  # fmt: skip
    found = check_park(one, rows=[p + 1 for p in rows], area_mu=np.full(len(rows), np.nan))
    numbers = {p + 1 for p in rows}
    return [p for p in found.problems if p.table == "parcels" and p.row in numbers]


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
