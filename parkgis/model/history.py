"""The status history: an append-only log of dated changes, and the park on any date.

Every change of a parcel's acquisition status, acquisition step or title, and
of a project's stage, funding or title, is an :class:`Event`: which field of
which parcel or project, from what to what, effective on which ``date``,
recorded when and by whom, with a note and a reference to the evidence (a
notice number, a file). Events are appended, never edited or deleted; a
correction is a new event (a step backwards, recorded as ``forced``).

- :func:`check_transition` validates a change against the chain of its
  vocabulary (``parkgis/model/vocab.toml``): one step forward is plain; a
  skip or a step back needs ``force`` and is recorded as forced; a project
  may stall at any stage and resume at any stage; funding has no chain.
- :func:`record_changes` applies changes to a park: it checks each one
  against the park's current value, appends the events to ``park.events``
  and updates the current-state tables (``status_date`` of a parcel follows
  its status and step changes).
- :func:`park_as_of` gives the park as it was on a date: the value of a field
  on day D is the ``to`` of its last event effective on or before D, else the
  ``from`` of its first event after D, else the stored value — so it holds
  whether or not the stored tables already reflect the log.
- :func:`status_since` and :func:`days_in_stage` read how long each parcel
  has been in its status and step; :mod:`parkgis.land.gaps` and the briefings use
  them.
- :func:`diff_events` turns the differences between a park and a newer
  ledger of it into events (``parkgis import --update``).

Dates are effective dates (when the change happened, as the notice says);
``recorded_at`` is when it was written down. ``--as-of D`` shows the park as
now known to have been on D. A change dated before the last change of the
same field is refused, so that each field's history is one line.

Pure: no files, no clock (``recorded_at`` is an argument).

Examples
--------
>>> check_transition("acquisition_status", "unacquired", "acquiring")
'next'
>>> check_transition("acquisition_status", "unacquired", "acquired", force=True)
'skip'
>>> check_transition("stage", "construction", "stalled")
'stall'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from parkgis.errors import DataError
from parkgis.model.park import EVENT_COLUMNS, Park, empty_events
from parkgis.model.schema import TABLES
from parkgis.model.values import as_date, id_text, is_blank
from parkgis.model.vocab import ACQUISITION, FUNDING, STAGE, STEP, TITLE, Vocabulary

__all__ = [
    "ATTRIBUTE_FIELDS",
    "ENTITIES",
    "FIELDS",
    "LIFE_FIELDS",
    "NEEDS_FORCE",
    "Event",
    "StatusChange",
    "apply_event",
    "check_transition",
    "choose_entity",
    "days_in_stage",
    "diff_events",
    "events_frame",
    "events_of",
    "make_event",
    "park_as_of",
    "read_events_frame",
    "record_changes",
    "resolve_entity",
    "same_geometry",
    "status_since",
]

ENTITIES = {"parcel": "parcels", "project": "projects"}
"""Kinds of entity with a history, and the table that holds each."""

FIELDS: dict[str, tuple[str, ...]] = {
    "parcel": ("acquisition_status", "acquisition_step", "title_status"),
    "project": ("stage", "funding_status", "title_status"),
}
"""The fields whose changes are recorded with ``status set``, by entity."""

LIFE_FIELDS = ("geometry", "retired", "added", "split", "merge")
"""Events of a parcel's life, recorded by ``import --update``:

- ``geometry``: the boundary changed; ``from``/``to`` are version numbers
  (the old geometry is kept in the store's ``parcel_versions``);
- ``retired``: ``to = "true"`` when the parcel leaves the park (missing from
  a newer ledger, split or merged), ``"true" → "false"`` when it comes back;
- ``added``: ``to = "true"`` when the parcel first appears in a ledger;
- ``split``: on the old parcel, ``from`` its id, ``to`` the new ids
  (comma-separated), when the new ledger's ``derived_from`` says so;
- ``merge``: on the new parcel, ``from`` the old ids, ``to`` its id.
"""

ATTRIBUTE_FIELDS = tuple(
    f
    for f in TABLES["parcels"].names
    if f not in ("parcel_id", "status_date", "derived_from", *FIELDS["parcel"])
)
"""A parcel's other fields, whose changes ``import --update`` records (from/to as text)."""

_LOGGED = {
    "parcel": (*FIELDS["parcel"], *LIFE_FIELDS, *ATTRIBUTE_FIELDS),
    "project": FIELDS["project"],
}

_VOCABS: dict[str, Vocabulary] = {
    "acquisition_status": ACQUISITION,
    "acquisition_step": STEP,
    "title_status": TITLE,
    "stage": STAGE,
    "funding_status": FUNDING,
}
_KEYS = {"parcel": "parcel_id", "project": "project_id"}
_UNORDERED = frozenset({"funding_status"})
NEEDS_FORCE = frozenset({"skip", "back", "correction", "clear"})
"""Kinds of transition that need ``force`` (and are recorded as forced)."""
_DATED_FIELDS = ("acquisition_status", "acquisition_step")  # status_date follows these
_TOLERANCE = 1e-11  # relative: two boundaries closer than this are the same (reprojection noise)


@dataclass(frozen=True)
class Event:
    """One recorded change of one field of a parcel or project.

    Attributes
    ----------
    entity
        ``"parcel"`` or ``"project"``.
    entity_id
        The parcel or project id.
    field
        One of :data:`FIELDS` for the entity.
    from_, to
        The codes before and after (None for blank).
    date
        The effective date.
    recorded_at
        When it was recorded, ISO 8601 with the UTC offset.
    by
        Who recorded it.
    note, evidence
        Free text, and a reference to the evidence (notice number, file).
    forced
        Whether the change needed ``force`` (a skip, a step back, a correction).
    seq
        Position in the log (1, 2, ...), given by the store; None before.
    """

    entity: str
    entity_id: str
    field: str
    from_: str | None
    to: str | None
    date: dt.date
    recorded_at: str
    by: str
    note: str | None = None
    evidence: str | None = None
    forced: bool = False
    seq: int | None = None

    def to_record(self) -> dict[str, Any]:
        """The event as a row of the log (:data:`~parkgis.model.park.EVENT_COLUMNS`).

        Examples
        --------
        >>> e = Event("parcel", "A", "acquisition_status", "unacquired", "acquiring",
        ...           dt.date(2024, 3, 1), "2024-03-02T09:00:00+08:00", "王工", seq=1)
        >>> e.to_record()["from"], e.to_record()["date"]
        ('unacquired', '2024-03-01')
        """
        return {
            "seq": self.seq,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "field": self.field,
            "from": self.from_,
            "to": self.to,
            "date": self.date.isoformat(),
            "recorded_at": self.recorded_at,
            "by": self.by,
            "note": self.note,
            "evidence": self.evidence,
            "forced": bool(self.forced),
        }

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> Event:
        """Build an event from a row of the log."""
        return cls(
            entity=str(row["entity"]),
            entity_id=str(row["entity_id"]),
            field=str(row["field"]),
            from_=_text(row.get("from")),
            to=_text(row.get("to")),
            date=dt.date.fromisoformat(str(row["date"])[:10]),
            recorded_at=str(row["recorded_at"]),
            by=str(row["by"]),
            note=_text(row.get("note")),
            evidence=_text(row.get("evidence")),
            forced=bool(row.get("forced", False)),
            seq=None if _text(row.get("seq")) is None else int(row["seq"]),
        )


@dataclass(frozen=True)
class StatusChange:
    """A change someone asks to record (before it is checked and becomes an :class:`Event`).

    ``entity`` may be None: it is then found from the id and the field (see
    :func:`resolve_entity`). ``to`` may be a code, a Chinese label or an alias.
    """

    entity_id: str
    field: str
    to: str
    date: dt.date
    by: str
    entity: str | None = None
    note: str | None = None
    evidence: str | None = None
    force: bool = False


def check_transition(field: str, old: str | None, new: str | None, *, force: bool = False) -> str:
    """Check a change of ``field`` from ``old`` to ``new`` against its chain.

    Parameters
    ----------
    field
        ``acquisition_status``, ``acquisition_step``, ``title_status``,
        ``stage`` or ``funding_status``.
    old, new
        Codes (None for blank). ``new`` must be a code of the field's
        vocabulary, or None (clearing a value, which needs ``force``).
    force
        Allow a skip, a step back, a correction of a value that is not a
        known term, or clearing.

    Returns
    -------
    str
        The kind of transition: ``next`` (one step forward), ``first`` (a
        first value where there was none: blank is "not recorded", so any
        term may come first), ``skip``, ``back``, ``stall``, ``resume``
        (leaving ``stalled``), ``change`` (a field without a chain),
        ``correction`` (from a value that is not a known term) or ``clear``.
        Those in :data:`NEEDS_FORCE` needed ``force``.

    Raises
    ------
    DataError
        When nothing changes, or the change needs ``force`` and has not got it.
    VocabularyError
        When ``new`` is not a term of the field's vocabulary.

    Examples
    --------
    >>> check_transition("acquisition_step", None, "survey")
    'first'
    >>> check_transition("acquisition_step", "dossier", "survey", force=True)
    'back'
    >>> check_transition("stage", "stalled", "construction")
    'resume'
    """
    vocab = _vocab(field)
    if new is not None and new not in vocab.codes:
        new = vocab.code(new, where=f"a change of {field}")
    if old == new:
        raise DataError(f"{field} is already {_show(old)}; nothing to record")
    kind = _kind(vocab, field, old, new)
    if kind in NEEDS_FORCE and not force:
        raise DataError(_refusal(vocab, field, old, new, kind))
    return kind


def resolve_entity(park: Park, entity_id: str, field: str, entity: str | None = None) -> str:
    """Which entity (``parcel`` or ``project``) ``entity_id`` names for ``field``.

    Raises
    ------
    DataError
        For an unknown field, an id found in neither table (or in both, when
        the field does not decide), or an id listed twice.
    """
    counts = {e: _row_count(park, e, entity_id) for e in ENTITIES}
    return choose_entity(entity_id, field, counts, entity=entity, park_name=park.name)


def choose_entity(
    entity_id: str,
    field: str,
    counts: dict[str, int],
    *,
    entity: str | None = None,
    park_name: str = "",
) -> str:
    """Decide the entity of a change from how many parcels and projects carry ``entity_id``.

    The same rule for every store: the field decides when only one entity
    has it (``stage`` is a project's, ``acquisition_status`` a parcel's);
    ``title_status`` goes to whichever table has the id; ``entity`` settles
    an id found in both.

    Raises
    ------
    DataError
        See :func:`resolve_entity`.

    Examples
    --------
    >>> choose_entity("P21", "title_status", {"parcel": 0, "project": 1})
    'project'
    """
    if entity is not None and entity not in ENTITIES:
        raise DataError(f"entity {entity!r} is not known; use parcel or project")
    candidates = [e for e in ENTITIES if field in FIELDS[e] and entity in (None, e)]
    if not candidates:
        allowed = "; ".join(f"{e}: {', '.join(FIELDS[e])}" for e in ENTITIES)
        raise DataError(
            f"field {field!r} has no history for that entity; fields with one: {allowed}"
        )
    park = f"park {park_name!r}: " if park_name else ""
    found = [e for e in candidates if counts.get(e, 0) > 0]
    if not found:
        where = " or ".join(ENTITIES[e] for e in candidates)
        raise DataError(f"{park}no {where} with id {entity_id!r}")
    if len(found) > 1:
        msg = (
            f"{park}{entity_id!r} is both a parcel and a project id; "
            f"say which with --entity parcel or --entity project"
        )
        raise DataError(msg)
    if counts[found[0]] > 1:
        msg = (
            f"{park}{ENTITIES[found[0]]} has {entity_id!r} more than once; "
            f"fix the duplicate ids (parkgis validate lists them) before recording changes"
        )
        raise DataError(msg)
    return found[0]


def make_event(
    change: StatusChange,
    current: str | None,
    *,
    entity: str,
    last_date: dt.date | None,
    recorded_at: str,
    seq: int | None = None,
) -> Event:
    """Check one change against the current value and the last change; return its event.

    Parameters
    ----------
    change
        The change asked for.
    current
        The field's current value (the ``from`` of the event).
    entity
        ``parcel`` or ``project`` (see :func:`resolve_entity`).
    last_date
        The date of the field's last event, if any: an earlier date is refused.
    recorded_at
        When the change is recorded (the shell reads the clock).
    seq
        The event's place in the log, when the store knows it already.

    Raises
    ------
    DataError
        See :func:`check_transition`; also for a date before ``last_date``
        or after the day of ``recorded_at`` (a change still to come is not
        recorded), and an empty ``by``.
    """
    where = f"{entity} {change.entity_id}"
    if not str(change.by or "").strip():
        raise DataError(f"{where}: say who records the change (--by NAME)")
    _check_not_future(change.date, recorded_at, where=f"{where}: the change of {change.field}")
    if last_date is not None and change.date < last_date:
        msg = (
            f"{where}: {change.field} last changed on {last_date.isoformat()}; a change dated "
            f"{change.date.isoformat()} would rewrite the past. Date it {last_date.isoformat()} "
            f"or later (a correction is a new event, with --force)"
        )
        raise DataError(msg)
    vocab = _vocab(change.field)
    to = vocab.code(change.to, where=f"the change of {change.field} of {where}")
    try:
        kind = check_transition(change.field, current, to, force=change.force)
    except DataError as exc:
        raise DataError(f"{where}: {exc}") from None
    return Event(
        entity=entity,
        entity_id=change.entity_id,
        field=change.field,
        from_=current,
        to=to,
        date=change.date,
        recorded_at=recorded_at,
        by=str(change.by).strip(),
        note=_text(change.note),
        evidence=_text(change.evidence),
        forced=kind in NEEDS_FORCE,
        seq=seq,
    )


def record_changes(
    park: Park, changes: Sequence[StatusChange], *, recorded_at: str
) -> tuple[Park, tuple[Event, ...]]:
    """Check and apply changes in order; return the new park and the events appended.

    Each change is checked against the value left by the ones before it. The
    events get the next numbers of the log; the tables take the new values
    (a parcel's ``status_date`` becomes the date of a status or step change).

    Raises
    ------
    DataError, VocabularyError
        For the first change that cannot be recorded; nothing is applied then.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from parkgis.model.park import Manifest
    >>> parcels = gpd.GeoDataFrame({"parcel_id": ["A"], "acquisition_status": ["unacquired"]},
    ...                            geometry=[box(0, 0, 1, 1)], crs="EPSG:4544")
    >>> park = Park(Manifest("demo"), parcels)
    >>> change = StatusChange("A", "acquisition_status", "征收中", dt.date(2024, 3, 1), "王工")
    >>> new, [event] = record_changes(park, [change], recorded_at="2024-03-02T09:00:00+08:00")
    >>> event.from_, event.to, event.seq, new.parcels.loc[0, "acquisition_status"]
    ('unacquired', 'acquiring', 1, 'acquiring')
    """
    events: list[Event] = []
    next_seq = _max_seq(park.events) + 1
    for change in changes:
        entity = resolve_entity(park, change.entity_id, change.field, change.entity)
        current = _current(park, entity, change.entity_id, change.field)
        last = _last_date(park.events, entity, change.entity_id, change.field)
        event = make_event(
            change,
            current,
            entity=entity,
            last_date=last,
            recorded_at=recorded_at,
            seq=next_seq,
        )
        park = apply_event(park, event)
        events.append(event)
        next_seq += 1
    return park, tuple(events)


def apply_event(park: Park, event: Event) -> Park:
    """The park with ``event`` appended to its log and applied to its tables."""
    table = ENTITIES[event.entity]
    frame = getattr(park, table).copy()
    rows = _rows(frame, event.entity, event.entity_id)
    if event.field not in frame.columns:
        frame[event.field] = pd.Series(None, index=frame.index, dtype=object)
    frame[event.field] = frame[event.field].astype(object)
    frame.loc[rows, event.field] = event.to
    if event.entity == "parcel" and event.field in _DATED_FIELDS:
        if "status_date" not in frame.columns:
            frame["status_date"] = pd.Series(None, index=frame.index, dtype=object)
        frame["status_date"] = frame["status_date"].astype(object)
        frame.loc[rows, "status_date"] = event.date.isoformat()
    log = events_frame([*events_of(park.events), event])
    return park.replace(**{table: frame, "events": log})


def park_as_of(park: Park, day: dt.date) -> Park:
    """The park as it was on ``day``, by its event log and its dated fields.

    The value of a field on ``day`` is the ``to`` of its last event effective
    on or before ``day``; with none, the ``from`` of its first event after
    ``day``; with no event at all, the stored value. A parcel's
    ``status_date`` becomes the date of its last status or step event on or
    before ``day`` (None when it has events, all later). The log keeps the
    events up to ``day``. Every other dated field is honoured too:

    - a project whose ``signed_on`` is after ``day`` was not signed then: its
      stage becomes blank (not known on that day) unless its stage has events
      or is ``negotiating``; :func:`parkgis.land.reserve.reserve_projects`
      lists it as ``not_yet_signed``;
    - an allocation whose ``allocated_on`` is after ``day`` is left out;
    - a parcel without status events whose ``status_date`` is after ``day``
      is refused: its status before that date is not known.

    A parcel's other fields (:data:`ATTRIBUTE_FIELDS`) follow their events
    the same way. Its boundary on ``day`` is the version of
    ``park.versions`` valid then (``valid_from`` ≤ ``day`` < ``valid_to``),
    else the stored one. A parcel is in the park on ``day`` by its last
    ``added``/``retired`` event on or before ``day`` (with none, by the first
    one after: out if it was added later, in if it was retired later):
    retired parcels (``park.retired``) come back before their retirement and
    parcels added later leave. Targets are as stored.

    Raises
    ------
    DataError
        For a parcel whose status on ``day`` cannot be told, and for a
        ``signed_on``, ``allocated_on`` or ``status_date`` that is not a date.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from parkgis.model.park import Manifest
    >>> parcels = gpd.GeoDataFrame({"parcel_id": ["A"], "acquisition_status": ["acquired"]},
    ...                            geometry=[box(0, 0, 1, 1)], crs="EPSG:4544")
    >>> log = events_frame([Event("parcel", "A", "acquisition_status", "acquiring", "acquired",
    ...                           dt.date(2024, 5, 1), "2024-05-01T09:00:00+08:00", "王工", seq=1)])
    >>> park = Park(Manifest("demo"), parcels, events=log)
    >>> park_as_of(park, dt.date(2024, 4, 30)).parcels.loc[0, "acquisition_status"]
    'acquiring'
    >>> park_as_of(park, dt.date(2024, 5, 1)).parcels.loc[0, "acquisition_status"]
    'acquired'
    """
    events = _sorted(events_of(park.events))
    tables = {t: getattr(park, t).copy() for t in ENTITIES.values()}
    tables["parcels"] = _with_retired(park)
    numeric = {
        c for c in tables["parcels"].columns if pd.api.types.is_numeric_dtype(tables["parcels"][c])
    }
    groups: dict[tuple[str, str, str], list[Event]] = {}
    for e in events:
        groups.setdefault((e.entity, e.entity_id, e.field), []).append(e)
    dated: dict[str, dt.date | None] = {}
    for (entity, entity_id, field), group in groups.items():
        if field in LIFE_FIELDS:
            continue
        frame = tables[ENTITIES[entity]]
        rows = _rows(frame, entity, entity_id, missing_ok=True)
        if not rows.any():
            continue
        before = [e for e in group if e.date <= day]
        value = before[-1].to if before else group[0].from_
        if field not in frame.columns:
            frame[field] = pd.Series(None, index=frame.index, dtype=object)
        frame[field] = frame[field].astype(object)
        frame.loc[rows, field] = value
        if entity == "parcel" and field in _DATED_FIELDS:
            last = before[-1].date if before else None
            seen = dated.get(entity_id)
            dated[entity_id] = max((d for d in (seen, last) if d is not None), default=None)
    parcels = tables["parcels"]
    for column in numeric:
        if parcels[column].dtype == object:
            parcels[column] = pd.to_numeric(parcels[column]).astype("float64")
    parcels = _present_on(parcels, groups, day, retired=park.retired)
    parcels = _boundaries_on(parcels, park.versions, day)
    _check_status_dates(parcels, day, logged=set(dated))
    if dated:
        if "status_date" not in parcels.columns:
            parcels["status_date"] = pd.Series(None, index=parcels.index, dtype=object)
        parcels["status_date"] = parcels["status_date"].astype(object)
        for entity_id, last in dated.items():
            rows = _rows(parcels, "parcel", entity_id, missing_ok=True)
            parcels.loc[rows, "status_date"] = last.isoformat() if last else None
    staged = {eid for entity, eid, field in groups if entity == "project" and field == "stage"}
    projects = _unsigned_as_of(tables["projects"], day, logged=staged)
    kept = events_frame([e for e in events_of(park.events) if e.date <= day])
    allocations = _allocations_as_of(park.allocations, day)
    return park.replace(parcels=parcels, projects=projects, allocations=allocations, events=kept)


def _with_retired(park: Park) -> pd.DataFrame:
    """Today's parcels, then the retired ones (without ``retired_on``)."""
    parcels = park.parcels.copy()
    if park.retired is None or not len(park.retired):
        return parcels
    here = {id_text(v) for v in parcels["parcel_id"].tolist()}
    back = park.retired[[id_text(v) not in here for v in park.retired["parcel_id"].tolist()]]
    back = back.drop(columns=["retired_on"], errors="ignore")
    if not len(back):
        return parcels
    import geopandas as gpd

    back = back.to_crs(parcels.crs) if back.crs != parcels.crs else back
    both = pd.concat([parcels, back], ignore_index=True)
    return gpd.GeoDataFrame(both, geometry=parcels.geometry.name, crs=parcels.crs)


def _present_on(
    parcels: pd.DataFrame,
    groups: dict[tuple[str, str, str], list[Event]],
    day: dt.date,
    *,
    retired: pd.DataFrame | None,
) -> pd.DataFrame:
    """The parcels in the park on ``day``, by their ``added`` and ``retired`` events."""
    life: dict[str, list[Event]] = {}
    for (entity, entity_id, field), group in groups.items():
        if entity == "parcel" and field in ("added", "retired"):
            life.setdefault(entity_id, []).extend(group)
    retired_on = {}
    if retired is not None and "retired_on" in retired.columns:
        retired_on = {
            id_text(pid): as_date(on)
            for pid, on in zip(retired["parcel_id"].tolist(), retired["retired_on"].tolist(),
                               strict=True)
        }  # fmt: skip
    keep = []
    for pid in (id_text(v) for v in parcels["parcel_id"].tolist()):
        group = _sorted(life.get(pid, [])) if pid is not None else []
        before = [e for e in group if e.date <= day]
        if before:
            last = before[-1]
            keep.append(not (last.field == "retired" and last.to == "true"))
        elif group:
            first = group[0]
            keep.append(first.field == "retired" and first.to == "true")
        else:
            on = retired_on.get(pid)
            keep.append(on is None or on > day)
    mask = np.array(keep, dtype=bool)
    return parcels if mask.all() else parcels[mask].reset_index(drop=True)


def _boundaries_on(parcels: pd.DataFrame, versions: pd.DataFrame | None, day: dt.date) -> Any:
    """The parcels with the boundary each had on ``day`` (from ``versions``)."""
    if versions is None or not len(versions) or not len(parcels):
        return parcels
    if versions.crs is not None and parcels.crs is not None and versions.crs != parcels.crs:
        versions = versions.to_crs(parcels.crs)
    chosen: dict[str, tuple[int, Any]] = {}
    for row in versions.itertuples(index=False):
        start = as_date(row.valid_from) if not is_blank(row.valid_from) else None
        end = as_date(row.valid_to)
        if (start is None or start <= day) and end is not None and day < end:
            pid = id_text(row.parcel_id)
            if pid is not None and (pid not in chosen or chosen[pid][0] < int(row.version)):
                chosen[pid] = (int(row.version), row.geometry)
    if not chosen:
        return parcels
    out = parcels.copy()
    ids = [id_text(v) for v in out["parcel_id"].tolist()]
    geometries = out.geometry.tolist()
    for k, pid in enumerate(ids):
        if pid in chosen:
            geometries[k] = chosen[pid][1]
    out[out.geometry.name] = type(out.geometry)(geometries, index=out.index, crs=out.crs)
    return out


def _unsigned_as_of(projects: pd.DataFrame, day: dt.date, *, logged: set[str]) -> pd.DataFrame:
    """Projects signed after ``day`` with a blank stage (unless their stage has events)."""
    if "signed_on" not in projects.columns or "stage" not in projects.columns:
        return projects
    ids = _ids(projects, "project_id")
    later = np.array(
        [
            pid not in logged
            and stage != "negotiating"
            and _after(value, day, where=f"project {pid}", what="signed_on")
            for pid, value, stage in zip(ids, projects["signed_on"], projects["stage"], strict=True)
        ],
        dtype=bool,
    )
    if not later.any():
        return projects
    out = projects.copy()
    out["stage"] = out["stage"].astype(object).where(~later, None)
    return out


def _allocations_as_of(allocations: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Allocations made on or before ``day`` (those without ``allocated_on`` are kept)."""
    if "allocated_on" not in allocations.columns or not len(allocations):
        return allocations
    ids = _ids(allocations, "project_id")
    later = np.array(
        [
            _after(value, day, where=f"allocation of project {pid}", what="allocated_on")
            for pid, value in zip(ids, allocations["allocated_on"], strict=True)
        ],
        dtype=bool,
    )
    return allocations[~later].reset_index(drop=True) if later.any() else allocations


def _check_status_dates(parcels: pd.DataFrame, day: dt.date, *, logged: set[str]) -> None:
    """Refuse parcels without status events whose ``status_date`` is after ``day``."""
    if "status_date" not in parcels.columns:
        return
    ids = _ids(parcels, "parcel_id")
    late = [
        (pid, as_date(value))
        for pid, value in zip(ids, parcels["status_date"], strict=True)
        if pid not in logged and _after(value, day, where=f"parcel {pid}", what="status_date")
    ]
    if not late:
        return
    shown = [f"{pid} ({since})" for pid, since in late]
    listed = ", ".join(shown[:10]) + (f" and {len(shown) - 10} more" if len(shown) > 10 else "")
    first = max(since for _, since in late if since is not None).isoformat()
    msg = (
        f"the park on {day.isoformat()} cannot be told: parcel(s) {listed} took their "
        f"acquisition status after that date (status_date), and the park's log has no earlier "
        f"status for them; give an --as-of on or after {first}"
    )
    zh = (
        f"无法给出 {day.isoformat()} 时的园区状况：地块 {listed} 的征收状态自该日期之后才开始"
        f"（状态日期），园区日志中没有更早的状态；请使用 {first} 或更晚的 --as-of 日期"
    )
    raise DataError(msg, zh=zh)


def _after(value: object, day: dt.date, *, where: str, what: str) -> bool:
    date = as_date(value, where=where, what=what)
    return date is not None and date > day


def _ids(frame: pd.DataFrame, key: str) -> list[str | None]:
    if key not in frame.columns:
        return [None] * len(frame)
    return [id_text(v) for v in frame[key].tolist()]


def status_since(park: Park, *, today: dt.date | None = None) -> pd.Series:
    """The date each parcel entered its current status and step, indexed by parcel id.

    From the event log: the date of the parcel's last ``acquisition_status``
    or ``acquisition_step`` event on or before ``today`` (None when all its
    events are later). Parcels the log does not mention keep their
    ``status_date``. Feed it to :func:`parkgis.land.gaps.gaps_table` as ``since``.
    """
    parcels = park.parcels
    ids = [id_text(v) for v in parcels["parcel_id"].tolist()]
    stored = (
        parcels["status_date"].astype(object).tolist()
        if "status_date" in parcels.columns
        else [None] * len(ids)
    )
    logged: dict[str, dt.date | None] = {}
    for e in events_of(park.events):
        if e.entity != "parcel" or e.field not in _DATED_FIELDS:
            continue
        seen = logged.get(e.entity_id)
        if today is not None and e.date > today:
            logged.setdefault(e.entity_id, None)
            continue
        logged[e.entity_id] = e.date if seen is None else max(seen, e.date)
    values = [
        (logged[pid].isoformat() if logged[pid] else None) if pid in logged else _blank(v)
        for pid, v in zip(ids, stored, strict=True)
    ]
    return pd.Series(values, index=ids, dtype=object, name="since")


def days_in_stage(park: Park, *, today: dt.date) -> pd.Series:
    """Days each parcel has spent in its current status and step, to ``today``.

    Indexed by parcel id (``Int64``; missing where the date is not known).

    Raises
    ------
    DataError
        For a stored ``status_date`` that is not a date.
    """
    since = status_since(park, today=today)
    days = []
    for pid, value in since.items():
        day = as_date(value, where=f"parcel {pid}: status_date")
        days.append(None if day is None else (today - day).days)
    return pd.Series(days, index=since.index, dtype="Int64", name="days_in_stage")


def diff_events(
    old: Park,
    new: Park,
    *,
    date: dt.date,
    by: str,
    recorded_at: str,
    note: str | None = None,
) -> tuple[Event, ...]:
    """Every difference between a park and a newer ledger of it, as events.

    Parcels and projects present in both (by id) are compared field by
    field (:data:`FIELDS`, where both tables have the column); each
    difference is an event effective on ``date``, ``forced`` where the chain
    would have needed ``force``. Then the parcels' lives
    (:data:`LIFE_FIELDS`): each other field both ledgers have
    (:data:`ATTRIBUTE_FIELDS`, from/to as text), a changed boundary
    (``geometry``, version n → n+1), a parcel missing from the new ledger
    (``retired``), a new one (``added``, or ``retired`` true → false for a
    retired parcel back), and the splits and merges the new ledger's
    ``derived_from`` column names (the id(s) each new parcel was made from).
    Events are numbered after ``old``'s log.

    Raises
    ------
    DataError
        For a new value that is not a known term, a ``date`` after the day of
        ``recorded_at``, or a ``date`` before the last logged change of a
        field that changed.
    """
    _check_not_future(date, recorded_at, where="the update of the park")
    events: list[Event] = []
    problems: list[str] = []
    seq = _max_seq(old.events) + 1
    for entity, table in ENTITIES.items():
        before, after = getattr(old, table), getattr(new, table)
        key = _KEYS[entity]
        if key not in before.columns or key not in after.columns:
            continue
        old_rows = {id_text(k): i for i, k in enumerate(before[key].tolist())}
        for j, entity_id in enumerate(after[key].tolist()):
            eid = id_text(entity_id)
            i = old_rows.get(eid)
            if i is None or eid is None:
                continue
            for field in FIELDS[entity]:
                if field not in before.columns or field not in after.columns:
                    continue
                was, now = _text(before[field].iloc[i]), _text(after[field].iloc[j])
                if was == now:
                    continue
                where = f"{entity} {eid}: {field}"
                if now is not None and now not in _vocab(field).codes:
                    problems.append(f"{where} {now!r} in the new ledger is not a known term")
                    continue
                last = _last_date(old.events, entity, eid, field)
                if last is not None and date < last:
                    problems.append(
                        f"{where} last changed on {last.isoformat()}, after {date.isoformat()}"
                    )
                    continue
                kind = check_transition(field, was, now, force=True)
                events.append(
                    Event(entity, eid, field, was, now, date, recorded_at, by,
                          note=_text(note), forced=kind in NEEDS_FORCE, seq=seq)
                )  # fmt: skip
                seq += 1
    life = _life_events(old, new, date=date, by=by, recorded_at=recorded_at, note=_text(note),
                        seq=seq, problems=problems)  # fmt: skip
    events.extend(life)
    if problems:
        listed = "; ".join(problems[:20])
        raise DataError(f"{len(problems)} change(s) cannot be recorded as events: {listed}")
    return tuple(events)


def same_geometry(a: Any, b: Any) -> bool:
    """Whether two boundaries are the same, but for reprojection noise (1e-11 relative).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> a = box(0, 0, 1, 1)
    >>> same_geometry(a, box(0, 0, 1, 1 + 1e-13)), same_geometry(a, None)
    (True, False)
    """
    import shapely

    if a is None or b is None:
        return a is None and b is None
    if a.is_empty or b.is_empty:
        return bool(a.is_empty and b.is_empty)
    scale = max(1.0, *(abs(v) for v in a.bounds))
    return bool(shapely.equals_exact(a, b, tolerance=scale * _TOLERANCE))


def _life_events(
    old: Park,
    new: Park,
    *,
    date: dt.date,
    by: str,
    recorded_at: str,
    note: str | None,
    seq: int,
    problems: list[str],
) -> list[Event]:
    """Attribute, boundary, retirement, addition, split and merge events of the parcels."""
    before, after = old.parcels, new.parcels
    if "parcel_id" not in before.columns or "parcel_id" not in after.columns:
        return []
    old_ids = [id_text(v) for v in before["parcel_id"].tolist()]
    new_ids = [id_text(v) for v in after["parcel_id"].tolist()]
    if len(set(old_ids)) < len(old_ids) or len(set(new_ids)) < len(new_ids) or None in new_ids:
        return []  # ids that do not key the parcels: validate lists them
    at = {pid: i for i, pid in enumerate(old_ids)}
    out: list[Event] = []

    def add(eid: str, field: str, was: str | None, now: str | None, text: str | None) -> None:
        nonlocal seq
        last = _last_date(old.events, "parcel", eid, field)
        if last is not None and date < last:
            problems.append(f"parcel {eid}: {field} last changed on {last.isoformat()}, "
                            f"after {date.isoformat()}")  # fmt: skip
            return
        out.append(Event("parcel", eid, field, was, now, date, recorded_at, by, note=text, seq=seq))
        seq += 1

    counts: dict[str, int] = {}
    if old.versions is not None and len(old.versions):
        for pid in old.versions["parcel_id"].tolist():
            counts[str(pid)] = counts.get(str(pid), 0) + 1
    shared = [c for c in ATTRIBUTE_FIELDS if c in before.columns and c in after.columns]
    old_geoms, new_geoms = before.geometry.tolist(), after.geometry.tolist()
    for j, pid in enumerate(new_ids):
        i = at.get(pid)
        if i is None or pid is None:
            continue
        for field in shared:
            was, now = _value_text(before[field].iloc[i]), _value_text(after[field].iloc[j])
            if was != now:
                add(pid, field, was, now, note)
        if not same_geometry(old_geoms[i], new_geoms[j]):
            version = counts.get(pid, 0) + 1
            add(pid, "geometry", str(version), str(version + 1), note)
    parents = _derived_from(after, new_ids)
    children: dict[str, list[str]] = {}
    for child, sources in parents.items():
        if len(sources) == 1:
            children.setdefault(sources[0], []).append(child)
    merged_into: dict[str, str] = {}
    for child, sources in parents.items():
        if len(sources) > 1:
            add(child, "merge", ",".join(sources), child, note)
            merged_into.update({s: child for s in sources})
    for source, kids in children.items():
        if len(kids) > 1 or source not in new_ids:
            add(source, "split", source, ",".join(kids), note)
    gone = [pid for pid in old_ids if pid is not None and pid not in set(new_ids)]
    for pid in gone:
        why = (
            f"merged into {merged_into[pid]}"
            if pid in merged_into
            else f"split into {','.join(children[pid])}"
            if pid in children
            else "not in the new ledger"
        )
        add(pid, "retired", None, "true", f"{why}; {note}" if note else why)
    retired = set()
    if old.retired is not None and len(old.retired):
        retired = {id_text(v) for v in old.retired["parcel_id"].tolist()}
    for pid in new_ids:
        if pid in at or pid is None:
            continue
        if pid in retired:
            add(pid, "retired", "true", "false", note)
        else:
            add(pid, "added", None, "true", note)
    return out


def _derived_from(parcels: pd.DataFrame, ids: list[str | None]) -> dict[str, list[str]]:
    """The parcels each new parcel was made from (``derived_from``: ids, comma-separated)."""
    if "derived_from" not in parcels.columns:
        return {}
    out = {}
    for pid, value in zip(ids, parcels["derived_from"].tolist(), strict=True):
        text = _text(value)
        if pid is None or text is None:
            continue
        sources = [s.strip() for s in text.replace("，", ",").replace("、", ",").split(",")]
        sources = [s for s in sources if s and s != pid]
        if sources:
            out[pid] = sources
    return out


def _value_text(value: object) -> str | None:
    """A field's value as an event's from/to: None for blank, 150.0 as 150.0, text as is."""
    if is_blank(value):
        return None
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()[:10]
    return str(value).strip()


def events_frame(events: Iterable[Event]) -> pd.DataFrame:
    """A log frame (:data:`~parkgis.model.park.EVENT_COLUMNS`) of ``events``."""
    rows = [e.to_record() for e in events]
    if not rows:
        return empty_events()
    frame = pd.DataFrame(rows, columns=list(EVENT_COLUMNS), dtype=object)  # None stays None
    frame["seq"] = frame["seq"].astype("int64")
    frame["forced"] = frame["forced"].astype(bool)
    return frame.reset_index(drop=True)


def events_of(frame: pd.DataFrame, *, entity_id: str | None = None) -> list[Event]:
    """The events of a log frame, in log order; only those of ``entity_id`` if given."""
    records = frame.to_dict(orient="records")
    out = [Event.from_record(r) for r in records]
    if entity_id is not None:
        out = [e for e in out if e.entity_id == entity_id]
    return out


def read_events_frame(frame: pd.DataFrame, *, where: str) -> pd.DataFrame:
    """Check a log read as text (a CSV, a database table) and return it with its dtypes.

    Raises
    ------
    DataError
        Naming ``where``, the row and the value, for a missing column, an
        unknown entity, field or code, a date or sequence number that cannot
        be read, or sequence numbers out of order.
    """
    missing = [c for c in EVENT_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{where}: the event log lacks column(s) {', '.join(missing)}")
    problems = []
    events = []
    last_seq = 0
    for n, row in enumerate(frame[list(EVENT_COLUMNS)].to_dict(orient="records"), start=1):
        place = f"{where} row {n}"
        entity, field = _text(row["entity"]), _text(row["field"])
        if entity not in ENTITIES:
            problems.append(f"{place}: entity {entity!r} is not parcel or project")
            continue
        if field not in _LOGGED[entity]:
            problems.append(f"{place}: field {field!r} has no history for a {entity}")
            continue
        for column in ("from", "to"):
            value = _text(row[column])
            if field in _VOCABS and value is not None and value not in _vocab(field).codes:
                problems.append(f"{place}: {column} {value!r} is not a {field} code")
        forced = _text(row["forced"])
        if forced not in (None, "True", "False", "true", "false", "1", "0"):
            problems.append(f"{place}: forced {forced!r} is not true or false")
        try:
            seq = int(str(row["seq"]))
            date = dt.date.fromisoformat(str(row["date"]))
        except ValueError:
            problems.append(f"{place}: seq {row['seq']!r} or date {row['date']!r} unreadable")
            continue
        if seq <= last_seq:
            problems.append(f"{place}: seq {seq} does not follow {last_seq}")
        last_seq = seq
        if _text(row["entity_id"]) is None or _text(row["by"]) is None:
            problems.append(f"{place}: entity_id and by must not be blank")
            continue
        events.append(
            {**row, "seq": seq, "date": date.isoformat(), "forced": forced in ("True", "true", "1")}
        )
    if problems:
        listed = "; ".join(problems[:20])
        msg = f"{len(problems)} problem(s) in the event log: {listed}; the log is append-only, "
        raise DataError(msg + "restore it from a backup rather than editing it")
    return events_frame(Event.from_record(r) for r in events)


# --------------------------------------------------------------------------- helpers


def _check_not_future(date: dt.date, recorded_at: str, *, where: str) -> None:
    """Refuse a change dated after the day it is recorded: it has not happened yet."""
    try:
        today = dt.date.fromisoformat(str(recorded_at)[:10])
    except ValueError:
        raise DataError(f"recorded_at {recorded_at!r} is not an ISO 8601 time") from None
    if date <= today:
        return
    msg = (
        f"{where} is dated {date.isoformat()}, after today ({today.isoformat()}): a recorded "
        f"change must already have happened. Give its effective date, {today.isoformat()} or "
        f"earlier, with --date; a date still to come belongs in expected_acquisition, or is "
        f"recorded when it comes"
    )
    zh = (
        f"{where} 的日期为 {date.isoformat()}，晚于今天（{today.isoformat()}）：记录的变更必须"
        f"已经发生。请用 --date 填写实际生效日期（{today.isoformat()} 或更早）；尚未到来的日期"
        f"请填在预计征收完成（expected_acquisition）中，或到时再记录"
    )
    raise DataError(msg, zh=zh)


def _vocab(field: str) -> Vocabulary:
    vocab = _VOCABS.get(field)
    if vocab is None:
        known = ", ".join(_VOCABS)
        raise DataError(f"field {field!r} has no history; fields with one are {known}")
    return vocab


def _kind(vocab: Vocabulary, field: str, old: str | None, new: str | None) -> str:
    if new is None:
        return "clear"
    if field in _UNORDERED:
        return "change"
    if old is not None and old not in vocab.codes:
        return "correction"
    if field == "stage":
        if new == "stalled":
            return "stall"
        if old == "stalled":
            return "resume"
    if old is None:
        return "first"
    was, now = vocab.rank(old), vocab.rank(new)
    if now == was + 1:
        return "next"
    return "skip" if now > was else "back"


def _refusal(vocab: Vocabulary, field: str, old: str | None, new: str | None, kind: str) -> str:
    arrow = f"{field} {_show(old)} → {_show(new)}"
    if kind == "skip":
        skipped = [t.code for t in vocab.terms[vocab.rank(str(old)) + 1 : vocab.rank(str(new))]]
        why = f"skips {', '.join(skipped)}"
    elif kind == "back":
        why = "goes back along the chain (a correction)"
    elif kind == "correction":
        why = f"corrects {old!r}, which is not a known term"
    else:
        why = "clears the value"
    return f"{arrow} {why}; pass --force to record it (it is recorded as forced)"


def _show(value: str | None) -> str:
    return "(blank)" if value is None else value


def _row_count(park: Park, entity: str, entity_id: str) -> int:
    frame = getattr(park, ENTITIES[entity])
    key = _KEYS[entity]
    if key not in frame.columns:
        return 0
    return sum(1 for v in frame[key].tolist() if id_text(v) == entity_id)


def _rows(frame: pd.DataFrame, entity: str, entity_id: str, *, missing_ok: bool = False) -> Any:
    key = _KEYS[entity]
    if key not in frame.columns:
        if missing_ok:
            return np.zeros(len(frame), dtype=bool)
        raise DataError(f"{ENTITIES[entity]} has no {key} column")
    mask = np.array([id_text(v) == entity_id for v in frame[key].tolist()], dtype=bool)
    if not mask.any() and not missing_ok:
        raise DataError(f"no {entity} with id {entity_id!r}")
    return mask


def _current(park: Park, entity: str, entity_id: str, field: str) -> str | None:
    frame = getattr(park, ENTITIES[entity])
    if field not in frame.columns:
        return None
    rows = _rows(frame, entity, entity_id)
    return _text(frame.loc[rows, field].iloc[0])


def _last_date(frame: pd.DataFrame, entity: str, entity_id: str, field: str) -> dt.date | None:
    if not len(frame):
        return None
    mask = (
        (frame["entity"] == entity) & (frame["entity_id"] == entity_id) & (frame["field"] == field)
    )
    dates = frame.loc[mask, "date"].tolist()
    return max(dt.date.fromisoformat(str(d)) for d in dates) if dates else None


def _max_seq(frame: pd.DataFrame) -> int:
    return int(frame["seq"].max()) if len(frame) else 0


def _sorted(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (e.date, e.seq if e.seq is not None else 1 << 62))


def _text(value: object) -> str | None:
    return None if is_blank(value) else str(value).strip()


def _blank(value: object) -> object:
    return None if is_blank(value) else value
