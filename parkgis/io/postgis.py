"""A park in PostgreSQL + PostGIS: the store an office shares.

A store is a database; it holds any number of parks, each in its own schema
(``park_<name>``), listed in ``parkgis.parks``. A park's schema holds the
same tables as a park folder:

=============  ==============================================================
manifest       one row: name, title, private fields, settings (JSON), CRS
parcels        the parcel layer; ``geometry`` in the park's CRS (its EPSG
               code as SRID), a ``version`` counted up at every change, and
               ``_row`` keeping the order
constraints    the constraint layer, likewise
projects       the project table, with ``version`` and ``_row``
targets,       as in the folder
allocations
events         the status history: ``seq`` (identity), entity, entity_id,
               field, from, to, date, recorded_at, by, note, evidence, forced.
               Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE.
=============  ==============================================================

Numbers are ``double precision``, other values text as the park holds them
(a value the reader could not understand stays as written), so a park reads
back exactly as it was pushed, and with the same value issues as its folder.

A store is named by a URL: ``postgresql://user@host:5432/dbname?park=NAME``
(``postgres://`` and SQLAlchemy's ``postgresql+psycopg://`` are accepted).
Without ``park=``, the store's only park is taken.

Reading takes one snapshot (a ``REPEATABLE READ`` transaction), so the tables
and the log agree. A status change is one transaction: the parcel's (or
project's) rows are locked with ``SELECT … FOR UPDATE``, the change checked
against the value found (:func:`parkgis.model.history.make_event`), the event
inserted and the row updated only if its ``version`` is still the one read.
Two people changing the same parcel wait for each other; nothing is lost.

Needs ``psycopg`` 3: ``pip install 'parkgis[postgis]'``. No other parkgis
module imports this one until a store is used.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from parkgis.errors import DataError, InputError
from parkgis.model.history import (
    ENTITIES,
    Event,
    StatusChange,
    choose_entity,
    make_event,
    park_as_of,
    read_events_frame,
)
from parkgis.model.park import EVENT_COLUMNS, Manifest, Park
from parkgis.model.schema import TABLES, ValueIssue

__all__ = [
    "ConcurrentChangeError",
    "init_store",
    "is_store_url",
    "list_parks",
    "push_park",
    "read_park",
    "record_store_changes",
    "safe_url",
    "split_store_url",
]

_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
_REGISTRY = "parkgis"
_LAYERS = ("parcels", "constraints")
_TABLES = ("projects", "targets", "allocations")
_VERSIONED = {"parcels": "parcel_id", "projects": "project_id"}
_INTERNAL = ("_row", "version")
_STATUS_DATED = ("acquisition_status", "acquisition_step")
_INSTALL = "pip install 'parkgis[postgis]' (psycopg 3)"


class ConcurrentChangeError(DataError):
    """A row changed between reading it and writing it (its version moved on)."""


def is_store_url(value: object) -> bool:
    """Whether ``value`` names a PostgreSQL store rather than a folder or file.

    Examples
    --------
    >>> is_store_url("postgresql://planner@db.park.local/parks?park=yuanba")
    True
    >>> is_store_url("data/parcels/yuanba")
    False
    """
    return isinstance(value, str) and value.startswith(_SCHEMES)


def split_store_url(url: str) -> tuple[str, str | None]:
    """Split a store URL into the connection URL for psycopg and the park name.

    Examples
    --------
    >>> split_store_url("postgresql+psycopg://u@h:5433/db?park=yuanba&sslmode=disable")
    ('postgresql://u@h:5433/db?sslmode=disable', 'yuanba')
    """
    if not is_store_url(url):
        raise InputError(f"{url!r} is not a store URL; write postgresql://user@host/db?park=NAME")
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    park = next((v for k, v in query if k == "park"), None)
    rest = urlencode([(k, v) for k, v in query if k != "park"])
    conninfo = urlunsplit(("postgresql", parts.netloc, parts.path, rest, parts.fragment))
    return conninfo, (park or None)


def safe_url(url: str) -> str:
    """The URL without its password, for messages.

    Examples
    --------
    >>> safe_url("postgresql://planner:secret@db/parks?park=yuanba")
    'postgresql://planner:***@db/parks?park=yuanba'
    """
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def init_store(url: str) -> None:
    """Prepare a database to hold parks: the PostGIS extension and the park registry.

    Safe to run again. Needs a role allowed to create the extension (or an
    extension created already by the database's owner).
    """
    with _connect(url) as conn, conn.transaction():
        _ensure_registry(conn)


def list_parks(url: str) -> list[str]:
    """The names of the parks a store holds."""
    with _connect(url) as conn:
        if not _has_registry(conn):
            return []
        rows = conn.execute(f"SELECT name FROM {_REGISTRY}.parks ORDER BY name").fetchall()
    return [r[0] for r in rows]


def push_park(
    park: Park,
    url: str,
    *,
    name: str | None = None,
    replace: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> str:
    """Copy a park into a store, in one transaction; return its name in the store.

    The tables are created as a database administrator would: primary keys
    on ``parcels.parcel_id``, ``projects.project_id`` and ``events.seq``, a
    GiST index on every geometry, foreign keys from the events of a parcel
    (project) to its row. Rows go in with ``COPY`` (geometry as hex EWKB),
    keys and indexes are built after the rows, and all of it is one
    transaction: a push that fails or is killed leaves the store as it was.

    Parameters
    ----------
    park
        The park, with its event log.
    url
        The store; ``park=`` in the URL (else ``name``, else the park's own
        name) names the park there.
    replace
        Drop a park of the same name first (its log goes with it).
    progress
        Called with (rows copied, rows in all) as the tables fill.

    Raises
    ------
    InputError
        When the park exists and ``replace`` is false, or the store cannot be
        reached.
    DataError
        When a layer's CRS has no EPSG code (the store needs one as SRID), a
        parcel or project id is missing or repeated, or an event names a
        parcel or project the park does not hold.
    """
    _, in_url = split_store_url(url)
    name = in_url or name or park.name
    srid = _srid(park.parcels, "parcels")
    with _connect(url) as conn, conn.transaction():
        _ensure_registry(conn)
        conn.execute(f"LOCK TABLE {_REGISTRY}.parks IN SHARE ROW EXCLUSIVE MODE")
        found = conn.execute(
            f"SELECT schema_name FROM {_REGISTRY}.parks WHERE name = %s", (name,)
        ).fetchone()
        if found is not None:
            if not replace:
                msg = (
                    f"{safe_url(url)}: park {name!r} exists already; pass --replace to drop it "
                    f"(and its event log) and push again"
                )
                raise InputError(msg)
            conn.execute(_sql("DROP SCHEMA {} CASCADE", found[0]))
            conn.execute(f"DELETE FROM {_REGISTRY}.parks WHERE name = %s", (name,))
        schema = _schema_name(conn, name)
        conn.execute(_sql("CREATE SCHEMA {}", schema))
        _create_manifest(conn, schema, park)
        count = _Counter(
            sum(len(getattr(park, t)) for t in (*_LAYERS, *_TABLES, "events")), progress
        )
        for layer in _LAYERS:
            frame = getattr(park, layer)
            srid_ = _srid(frame, layer, default=srid)
            _create_table(conn, schema, layer, frame, srid=srid_, count=count)
        for table in _TABLES:
            _create_table(conn, schema, table, getattr(park, table), srid=None, count=count)
        _create_events(conn, schema, park.events, count=count)
        count.finish()
        conn.execute(
            f"INSERT INTO {_REGISTRY}.parks (name, schema_name) VALUES (%s, %s)", (name, schema)
        )
    return name


def read_park(url: str, *, as_of: dt.date | None = None) -> Park:
    """Read a park from a store, as one consistent snapshot.

    Values are normalised as a folder's are (the same value issues come
    out); ``as_of`` gives the park as it was on that date
    (:func:`parkgis.model.history.park_as_of`).

    Raises
    ------
    InputError
        When the store cannot be reached or holds no such park.
    """
    psycopg = _psycopg()
    with _connect(url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # one snapshot
        conn.read_only = True
        schema = _park_schema(conn, url)
        park = _read_snapshot(conn, schema, url)
        conn.rollback()
    return park_as_of(park, as_of) if as_of is not None else park


def record_store_changes(
    url: str, changes: Sequence[StatusChange], *, recorded_at: str
) -> tuple[Event, ...]:
    """Check and record status changes in a store, in one transaction; return the events.

    Each change locks its parcel's or project's rows (``SELECT … FOR
    UPDATE``), is checked against the value found and the field's last
    event, inserts its event and updates the row if its ``version`` is
    unchanged. All the changes are recorded, or none.

    Raises
    ------
    DataError, VocabularyError
        For a change that cannot be recorded (see :func:`parkgis.model.history.make_event`).
    ConcurrentChangeError
        When a row's version moved on under the lock (it cannot, unless the
        table was edited without parkgis).
    """
    events = []
    with _connect(url) as conn, conn.transaction():
        schema = _park_schema(conn, url)
        for change in changes:
            events.append(_record_one(conn, schema, change, recorded_at))
    return tuple(events)


# --------------------------------------------------------------------------- writing


def _record_one(conn: Any, schema: str, change: StatusChange, recorded_at: str) -> Event:
    counts = {}
    for entity, table in ENTITIES.items():
        key = _VERSIONED[table]
        row = conn.execute(
            _sql("SELECT count(*) FROM {}.{} WHERE {} = %s", schema, table, key),
            (change.entity_id,),
        ).fetchone()
        counts[entity] = int(row[0])
    entity = choose_entity(
        change.entity_id, change.field, counts, entity=change.entity, park_name=schema[5:]
    )
    table = ENTITIES[entity]
    key = _VERSIONED[table]
    columns = _columns(conn, schema, table)
    for column in (change.field, *(("status_date",) if entity == "parcel" else ())):
        if column not in columns:
            conn.execute(_sql("ALTER TABLE {}.{} ADD COLUMN {} text", schema, table, column))
    rows = conn.execute(
        _sql("SELECT {}, version FROM {}.{} WHERE {} = %s FOR UPDATE", change.field, schema, table,
             key),
        (change.entity_id,),
    ).fetchall()  # fmt: skip
    current, version = rows[0]
    last = conn.execute(
        _sql(
            "SELECT max(date) FROM {}.events WHERE entity = %s AND entity_id = %s AND field = %s",
            schema,
        ),
        (entity, change.entity_id, change.field),
    ).fetchone()[0]
    event = make_event(change, current, entity=entity, last_date=last, recorded_at=recorded_at)
    record = event.to_record()
    names = [c for c in EVENT_COLUMNS if c != "seq"]
    seq = conn.execute(
        _sql(
            "INSERT INTO {}.events ({}) VALUES ({}) RETURNING seq",
            schema,
            _idents(names),
            _placeholders(len(names)),
        ),
        [record[c] for c in names],
    ).fetchone()[0]
    sets = [change.field]
    values: list[Any] = [event.to]
    if entity == "parcel" and change.field in _STATUS_DATED:
        sets.append("status_date")
        values.append(event.date.isoformat())
    from psycopg import sql

    assignments = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in sets)
    updated = conn.execute(
        sql.SQL("UPDATE {}.{} SET {}, version = version + 1 WHERE {} = %s AND version = %s").format(
            sql.Identifier(schema), sql.Identifier(table), assignments, sql.Identifier(key)
        ),
        [*values, change.entity_id, version],
    ).rowcount
    if updated != len(rows):
        msg = (
            f"{table} {change.entity_id}: changed by someone else while being recorded "
            f"(version {version} moved on); run the command again"
        )
        raise ConcurrentChangeError(msg)
    return Event(**{**event.__dict__, "seq": int(seq)})


def _ensure_registry(conn: Any) -> None:
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except Exception as exc:
        msg = (
            f"cannot create the PostGIS extension ({exc}); install Debian's postgresql-postgis "
            f"(or your platform's PostGIS) on the server, or ask the database's owner to run "
            f"CREATE EXTENSION postgis"
        )
        raise InputError(msg) from None
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_REGISTRY}")
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {_REGISTRY}.parks (name text PRIMARY KEY, "
        f"schema_name text NOT NULL UNIQUE, pushed_at timestamptz NOT NULL DEFAULT now())"
    )
    conn.execute(
        f"CREATE OR REPLACE FUNCTION {_REGISTRY}.events_append_only() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
        f"'parkgis: %.events is append-only (no %); record a correction as a new event with "
        f"parkgis status set --force', TG_TABLE_SCHEMA, TG_OP; END $$"
    )


def _has_registry(conn: Any) -> bool:
    row = conn.execute("SELECT to_regclass(%s)", (f"{_REGISTRY}.parks",)).fetchone()
    return row[0] is not None


def _schema_name(conn: Any, name: str) -> str:
    base = "park_" + (re.sub(r"[^a-z0-9_]", "_", name.lower()) or "park")[:50]
    taken = {r[0] for r in conn.execute("SELECT schema_name FROM information_schema.schemata")}
    schema, n = base, 1
    while schema in taken:
        n += 1
        schema = f"{base}_{n}"
    return schema


def _create_manifest(conn: Any, schema: str, park: Park) -> None:
    conn.execute(
        _sql(
            "CREATE TABLE {}.manifest (name text NOT NULL, title text, private_fields json, "
            "settings json)",  # json, not jsonb: the settings keep their order
            schema,
        )
    )
    try:
        settings = json.dumps(park.manifest.settings, ensure_ascii=False)
    except TypeError as exc:
        raise DataError(f"park {park.name!r}: a setting cannot be stored as JSON ({exc})") from None
    conn.execute(
        _sql("INSERT INTO {}.manifest VALUES (%s, %s, %s, %s)", schema),
        (
            park.manifest.name,
            park.manifest.title,
            json.dumps(list(park.manifest.private_fields), ensure_ascii=False),
            settings,
        ),
    )


def _create_table(
    conn: Any,
    schema: str,
    table: str,
    frame: pd.DataFrame,
    *,
    srid: int | None,
    count: _Counter | None = None,
) -> None:
    from psycopg import sql

    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    columns = [c for c in frame.columns if c != geometry]
    for column in columns:
        if str(column) in _INTERNAL or str(column) == "geometry":
            raise DataError(f"{table}: column {column!r} is reserved by the store; rename it")
        if len(str(column).encode()) > 63:
            msg = f"{table}: column name {column!r} is longer than PostgreSQL's 63 bytes; rename it"
            raise DataError(msg)
    kinds = [_kind(frame[c]) for c in columns]
    parts = [sql.SQL("_row integer NOT NULL")]
    if table in _VERSIONED:
        parts.append(sql.SQL("version bigint NOT NULL DEFAULT 0"))
    parts += [
        sql.SQL("{} {}").format(sql.Identifier(str(c)), sql.SQL(k))
        for c, k in zip(columns, kinds, strict=True)
    ]
    if geometry is not None:
        parts.append(sql.SQL(f"geometry geometry(Geometry, {int(srid or 0)})"))
    conn.execute(
        sql.SQL("CREATE TABLE {}.{} ({})").format(
            sql.Identifier(schema), sql.Identifier(table), sql.SQL(", ").join(parts)
        )
    )
    names = ["_row", *map(str, columns)]
    if geometry is not None:
        names.append("geometry")
    cells = [_column_cells(frame[c], k) for c, k in zip(columns, kinds, strict=True)]
    if geometry is not None:
        geoms = shapely.set_srid(np.asarray(frame.geometry.array, dtype=object), int(srid or 0))
        # Hex EWKB (SRID included), which the geometry type reads from COPY's text format.
        cells.append(
            [None if g is None else g.hex() for g in shapely.to_wkb(geoms, include_srid=True)]
        )
    copy = sql.SQL("COPY {}.{} ({}) FROM STDIN").format(
        sql.Identifier(schema), sql.Identifier(table), _idents(names)
    )
    _copy_rows(conn, copy, len(frame), cells, count)
    key = _VERSIONED.get(table)
    if key is not None and key in frame.columns:
        _check_key(frame, table, key)
        conn.execute(_sql("ALTER TABLE {}.{} ADD PRIMARY KEY ({})", schema, table, key))
    if geometry is not None:
        conn.execute(
            _sql("CREATE INDEX {} ON {}.{} USING GIST (geometry)", f"{table}_geometry_gist",
                 schema, table)
        )  # fmt: skip
    conn.execute(_sql("ANALYZE {}.{}", schema, table))


def _copy_rows(
    conn: Any, copy: Any, n: int, columns: list[list[Any]], count: _Counter | None
) -> None:
    """``COPY`` rows (``_row``, then ``columns``) into a table, telling ``count``."""
    step = max(1, min(10_000, n // 20 or 1))
    with conn.cursor() as cur, cur.copy(copy) as sink:
        for i in range(n):
            sink.write_row([i, *(col[i] for col in columns)])
            if count is not None and (i + 1) % step == 0:
                count.add(step)
    if count is not None:
        count.add(n % step)


def _column_cells(column: pd.Series, kind: str) -> list[Any]:
    """The column's values as the store holds them (:func:`_cell`), quickly for the usual ones."""
    values = column.tolist()
    if kind == "double precision" and pd.api.types.is_float_dtype(column.dtype):
        return [None if v != v else v for v in values]  # NaN → NULL
    if kind == "text":
        return [v if v is None or type(v) is str else _cell(v, kind) for v in values]
    return [_cell(v, kind) for v in values]


def _check_key(frame: pd.DataFrame, table: str, key: str) -> None:
    """The key column is the table's primary key: no blank, no repeat."""
    values = frame[key]
    blank = [int(i) + 1 for i in np.flatnonzero(values.isna().to_numpy())]
    repeated = sorted(map(str, values[values.duplicated(keep=False) & values.notna()].unique()))
    if blank or repeated:
        what = []
        if blank:
            what.append(f"rows {', '.join(map(str, blank[:10]))} have no {key}")
        if repeated:
            what.append(f"{key} repeated: {', '.join(repeated[:10])}")
        msg = f"{table}: {'; '.join(what)}; the store keys {table} by {key} (run validate)"
        zh = (
            f"{table}：{key} 缺失或重复（{'；'.join(what)}）；"
            f"数据库以 {key} 为主键，请先运行 validate"
        )
        raise DataError(msg, zh=zh)


class _Counter:
    """Rows copied so far, told to a progress callback."""

    def __init__(self, total: int, progress: Callable[[int, int], None] | None) -> None:
        self.total, self.done, self.progress = total, 0, progress

    def add(self, n: int) -> None:
        self.done += n
        if self.progress is not None and n:
            self.progress(self.done, self.total)

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total)


def _create_events(
    conn: Any, schema: str, events: pd.DataFrame, *, count: _Counter | None = None
) -> None:
    """The event log, with foreign keys from a parcel's (project's) events to its row.

    A key cannot depend on ``entity``, so two generated columns,
    ``parcel_id`` and ``project_id``, hold ``entity_id`` for the events of
    that kind (NULL, and so unchecked, for the others) and reference the
    table's primary key. Retired parcels stay in ``parcels``, so the key
    holds for the whole history; deleting a parcel with events is refused.
    """
    conn.execute(
        _sql(
            "CREATE TABLE {}.events (seq bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
            'entity text NOT NULL, entity_id text NOT NULL, field text NOT NULL, "from" text, '
            '"to" text, date date NOT NULL, recorded_at text NOT NULL, "by" text NOT NULL, '
            "note text, evidence text, forced boolean NOT NULL DEFAULT false)",
            schema,
        )
    )
    names = list(EVENT_COLUMNS)
    rows = events[names].to_numpy(dtype=object).tolist() if len(events) else []
    columns = [[_event_cell(row[k]) for row in rows] for k in range(1, len(names))]
    seqs = [_event_cell(row[0]) for row in rows]
    copy = _sql("COPY {}.events ({}) FROM STDIN", schema, _idents(names))
    # _copy_rows numbers the rows itself; the log keeps its own seq.
    with conn.cursor() as cur, cur.copy(copy) as sink:
        for i, seq in enumerate(seqs):
            sink.write_row([seq, *(col[i] for col in columns)])
    if count is not None:
        count.add(len(seqs))
    if seqs:
        conn.execute(
            _sql(
                "SELECT setval(pg_get_serial_sequence(%s, 'seq'), "
                "(SELECT max(seq) FROM {}.events))",
                schema,
            ),
            (f'"{schema}".events',),
        )
    conn.execute(_sql("CREATE INDEX ON {}.events (entity, entity_id, field)", schema))
    for entity, table in ENTITIES.items():
        key = _VERSIONED[table]
        if not _has_primary_key(conn, schema, table):
            continue
        missing = conn.execute(
            _sql(
                "SELECT DISTINCT e.entity_id FROM {}.events e LEFT JOIN {}.{} t "
                "ON t.{} = e.entity_id WHERE e.entity = %s AND t.{} IS NULL "
                "ORDER BY 1 LIMIT 10",
                schema, schema, table, key, key,
            ),
            (entity,),
        ).fetchall()  # fmt: skip
        if missing:
            listed = ", ".join(r[0] for r in missing)
            msg = (
                f"events: the log names {entity}s that {table} does not hold ({listed}); "
                f"a {entity} with a history stays in {table} (retired, never deleted)"
            )
            zh = (
                f"events：变更记录中的{entity}在 {table} 中不存在（{listed}）；有历史记录的不能删除"
            )
            raise DataError(msg, zh=zh)
        from psycopg import sql

        conn.execute(
            _sql(
                "ALTER TABLE {}.events ADD COLUMN {} text GENERATED ALWAYS AS "
                "(CASE WHEN entity = {} THEN entity_id END) STORED "
                "CONSTRAINT {} REFERENCES {}.{} ({})",
                schema, key, sql.Literal(entity), f"events_{key}_fkey", schema, table, key,
            )
        )  # fmt: skip
    conn.execute(_trigger(schema, "events_append_only", "UPDATE OR DELETE", "ROW"))
    conn.execute(_trigger(schema, "events_no_truncate", "TRUNCATE", "STATEMENT"))
    conn.execute(_sql("REVOKE UPDATE, DELETE, TRUNCATE ON {}.events FROM PUBLIC", schema))


def _has_primary_key(conn: Any, schema: str, table: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM pg_constraint WHERE contype = 'p' AND conrelid = to_regclass(%s)",
        (f'"{schema}"."{table}"',),
    ).fetchone()
    return row is not None


def _trigger(schema: str, name: str, operations: str, level: str) -> Any:
    from psycopg import sql

    return sql.SQL(
        "CREATE TRIGGER {} BEFORE "
        + operations
        + " ON {}.events FOR EACH "
        + level
        + " EXECUTE FUNCTION {}.events_append_only()"
    ).format(sql.Identifier(name), sql.Identifier(schema), sql.Identifier(_REGISTRY))


# --------------------------------------------------------------------------- reading


def _read_snapshot(conn: Any, schema: str, url: str) -> Park:
    row = conn.execute(
        _sql("SELECT name, title, private_fields, settings FROM {}.manifest", schema)
    ).fetchone()
    if row is None:
        raise InputError(f"{safe_url(url)}: park schema {schema} has no manifest row")
    name, title, private, settings = row
    manifest = Manifest(
        name=name, title=title or "", private_fields=tuple(private or ()), settings=settings or {}
    )
    issues: list[ValueIssue] = []
    layers = {}
    for layer in _LAYERS:
        frame = _read_table(conn, schema, layer, geometry=True)
        layers[layer] = _normalised(frame, layer, issues)
    tables = {}
    for table in _TABLES:
        tables[table] = _normalised(_read_table(conn, schema, table), table, issues)
    events = _read_events(conn, schema, url)
    return Park(
        manifest=manifest,
        parcels=layers["parcels"],
        constraints=layers["constraints"],
        events=events,
        value_issues=tuple(issues),
        **tables,
    )


def _read_table(conn: Any, schema: str, table: str, *, geometry: bool = False) -> pd.DataFrame:
    from psycopg import sql

    columns = {c: k for c, k in _columns(conn, schema, table).items() if c not in _INTERNAL}
    names = [c for c in columns if c != "geometry"]
    selected = [sql.Identifier(c) for c in names]
    if geometry:
        selected.append(sql.SQL("ST_AsBinary(geometry)"))
    query = sql.SQL("SELECT {} FROM {}.{} ORDER BY _row").format(
        sql.SQL(", ").join(selected) if selected else sql.SQL("1"),
        sql.Identifier(schema),
        sql.Identifier(table),
    )
    rows = conn.execute(query).fetchall()
    data = {}
    for j, name in enumerate(names):
        data[name] = _series([r[j] for r in rows], columns[name])
    if not geometry:
        return pd.DataFrame(data, columns=names)
    srid = conn.execute("SELECT Find_SRID(%s, %s, 'geometry')", (schema, table)).fetchone()[0]
    geoms = shapely.from_wkb([None if r[-1] is None else bytes(r[-1]) for r in rows])
    return gpd.GeoDataFrame(
        data, columns=names, geometry=gpd.GeoSeries(geoms, crs=CRS.from_epsg(srid))
    )


def _read_events(conn: Any, schema: str, url: str) -> pd.DataFrame:
    names = list(EVENT_COLUMNS)
    rows = conn.execute(_select_events(schema)).fetchall()
    frame = pd.DataFrame(
        [[None if v is None else (v.isoformat() if isinstance(v, dt.date) else str(v)) for v in r]
         for r in rows],
        columns=names,
        dtype=object,
    )  # fmt: skip
    return read_events_frame(frame, where=f"{safe_url(url)} {schema}.events")


def _select_events(schema: str) -> Any:
    from psycopg import sql

    return sql.SQL("SELECT {} FROM {}.events ORDER BY seq").format(
        _idents(list(EVENT_COLUMNS)), sql.Identifier(schema)
    )


def _park_schema(conn: Any, url: str) -> str:
    _, name = split_store_url(url)
    if not _has_registry(conn):
        msg = f"{safe_url(url)}: holds no park yet; run 'parkgis db push PARK --store URL'"
        raise InputError(msg)
    rows = conn.execute(f"SELECT name, schema_name FROM {_REGISTRY}.parks ORDER BY name").fetchall()
    if name is None:
        if len(rows) == 1:
            return str(rows[0][1])
        listed = ", ".join(r[0] for r in rows) or "none"
        msg = f"{safe_url(url)}: say which park with ?park=NAME in the URL; parks: {listed}"
        raise InputError(msg)
    for park, schema in rows:
        if park == name:
            return str(schema)
    listed = ", ".join(r[0] for r in rows) or "none"
    raise InputError(f"{safe_url(url)}: no park {name!r}; parks: {listed}")


def _columns(conn: Any, schema: str, table: str) -> dict[str, str]:
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
        (schema, table),
    ).fetchall()
    return {r[0]: r[1] for r in rows}


# --------------------------------------------------------------------------- helpers


def _psycopg() -> Any:
    """The psycopg module, or an InputError saying how to install it."""
    try:
        import psycopg
    except ImportError:
        raise InputError(
            f"a PostgreSQL store needs psycopg, which is not installed: {_INSTALL}",
            zh=f"使用 PostgreSQL 存储需要 psycopg, 但尚未安装: {_INSTALL}",
        ) from None
    return psycopg


@contextmanager
def _connect(url: str) -> Iterator[Any]:
    psycopg = _psycopg()
    conninfo, _ = split_store_url(url)
    try:
        conn = psycopg.connect(conninfo)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{safe_url(url)}: cannot connect ({reason})") from None
    try:
        with conn:
            yield conn
    except psycopg.errors.RaiseException as exc:  # raised by parkgis's own triggers
        raise DataError(str(exc.diag.message_primary or exc)) from None
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{safe_url(url)}: {reason}") from None
    finally:
        conn.close()


def _sql(template: str, *identifiers: Any) -> Any:
    from psycopg import sql

    parts = [i if isinstance(i, sql.Composable) else sql.Identifier(str(i)) for i in identifiers]
    return sql.SQL(template).format(*parts)


def _idents(names: Sequence[str]) -> Any:
    from psycopg import sql

    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


def _placeholders(n: int) -> Any:
    from psycopg import sql

    return sql.SQL(", ").join([sql.Placeholder()] * n)


def _srid(frame: pd.DataFrame, layer: str, default: int | None = None) -> int:
    crs = getattr(frame, "crs", None)
    if crs is None:
        if default is not None:
            return default
        raise DataError(f"{layer} has no CRS; set one before pushing the park")
    code = crs.to_epsg()
    if code is None:
        msg = (
            f"{layer}: CRS {crs.name!r} has no EPSG code, which the store needs as SRID; "
            f"reproject the layer (e.g. to EPSG:4490)"
        )
        raise DataError(msg)
    return int(code)


def _kind(column: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(column.dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(column.dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(column.dtype):
        return "double precision"
    return "text"


def _cell(value: Any, kind: str) -> Any:
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value) is True):
        return None
    if kind == "boolean":
        return bool(value)
    if kind == "bigint":
        return int(value)
    if kind == "double precision":
        return float(value)
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


def _series(values: list[Any], kind: str) -> pd.Series:
    if kind == "double precision":
        return pd.Series(values, dtype="float64")
    if kind == "bigint":
        return pd.Series(values, dtype="float64" if None in values else "int64")
    if kind == "boolean":
        return pd.Series(values, dtype=object if None in values else bool)
    # Text as a folder reads it: pandas infers its string dtype (object before pandas 3).
    return pd.Series(values, dtype=None if any(v is not None for v in values) else object)


def _event_cell(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    return value


def _normalised(frame: pd.DataFrame, table: str, issues: list[ValueIssue]) -> Any:
    out, found = TABLES[table].normalise(frame)
    issues.extend(found)
    return out
