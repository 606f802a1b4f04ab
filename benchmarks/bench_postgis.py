"""The ``push`` task: a park into PostGIS with COPY (parkgis) beside row-by-row INSERT.

``parkgis`` is :func:`parkgis.io.postgis.push_park`: every table filled with
``COPY … FROM STDIN`` (geometry as hex EWKB), then its primary key, GiST
index, foreign keys and ``ANALYZE``, all in one transaction. ``insert`` is
the way parkgis pushed before (and the way a script with psycopg usually
does): the same tables, one ``INSERT`` per row through ``executemany`` with
``ST_GeomFromWKB``, also in one transaction, and no keys or indexes at all.
Both replace the park of the previous run inside their transaction.

The runner starts a throwaway PostgreSQL + PostGIS cluster for the run, as
``tests/conftest.py`` does (:func:`postgis_server`), and hands its URL to the
jobs in ``PARKGIS_BENCH_POSTGIS``. Where no server can be started (no
``initdb``, no PostGIS, no psycopg), the task's rows are skipped with the
reason: benchmarks are not tests.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["ENV", "NoServerError", "postgis_server", "push_way"]

ENV = "PARKGIS_BENCH_POSTGIS"
"""The environment variable holding the benchmark server's URL."""


class NoServerError(RuntimeError):
    """No PostgreSQL + PostGIS server could be started; the message says why."""


@contextmanager
def postgis_server() -> Iterator[str]:
    """A throwaway PostgreSQL + PostGIS cluster on a free port; yields its URL.

    Raises
    ------
    NoServerError
        When PostgreSQL, PostGIS or psycopg is missing, or the server does not start.
    """
    initdb, pg_ctl = _pg_tool("initdb"), _pg_tool("pg_ctl")
    if initdb is None or pg_ctl is None:
        msg = "PostgreSQL is not installed (no initdb): apt-get install postgresql postgis"
        raise NoServerError(msg)
    try:
        import psycopg
    except ImportError:
        raise NoServerError("psycopg is not installed: pip install -e '.[postgis]'") from None
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="parkgis-bench-pg-", dir="/tmp" if as_root else None))
    if as_root:
        shutil.chown(root, "postgres", "postgres")

    def run(*args: str) -> None:
        command = " ".join(shlex.quote(a) for a in args)
        argv = ["su", "postgres", "-c", command] if as_root else list(args)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode:
            raise NoServerError(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = root / "data"
    started = False
    try:
        run(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale")
        # Durable as a real server is (fsync on): the times include the commit.
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
        run(pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start")
        started = True
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error as exc:
            raise NoServerError(f"PostGIS is not installed for this server ({exc})") from None
        yield url
    finally:
        if started:
            stop = [pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]
            command = " ".join(shlex.quote(a) for a in stop)
            argv = ["su", "postgres", "-c", command] if as_root else stop
            subprocess.run(argv, capture_output=True, timeout=120, check=False)
        shutil.rmtree(root, ignore_errors=True)


def push_way(way: str, pick: dict[bool, Any]) -> tuple[Callable[[bool], Any], Callable]:
    """The timed push (``small=True``: the warm-up) and its check, for the runner's job."""
    url = os.environ.get(ENV)
    if not url:
        raise NoServerError(f"no PostGIS server for the push task ({ENV} not set)")
    store = f"{url}?park=bench"
    if way == "parkgis":
        from parkgis.io.postgis import push_park

        def call(small: bool) -> str:
            return push_park(pick[small], store, replace=True)

    elif way == "insert":

        def call(small: bool) -> str:
            return _push_row_by_row(pick[small], url)

    else:
        raise ValueError(f"unknown way {way!r} of the push task")

    def check(_: Any) -> dict[str, Any]:
        import psycopg

        with psycopg.connect(url) as conn:
            schema = "park_bench" if way == "parkgis" else "bench_insert"
            rows = conn.execute(f"SELECT count(*), sum(ST_Area(geometry)) FROM {schema}.parcels")
            count, area = rows.fetchone()
        return {"parcels": int(count), "area": round(float(area or 0.0), 6)}

    return call, check


def _push_row_by_row(park: Any, url: str) -> str:
    """The park's tables with one INSERT a row (``executemany``), in one transaction."""
    import geopandas as gpd
    import psycopg
    import shapely
    from psycopg import sql

    from parkgis.io.postgis import _cell, _kind, _srid
    from parkgis.model.park import EVENT_COLUMNS

    schema = "bench_insert"
    with psycopg.connect(url) as conn, conn.transaction():
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
        tables = ("parcels", "constraints", "projects", "targets", "allocations")
        for table in tables:
            frame = getattr(park, table)
            geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
            columns = [str(c) for c in frame.columns if c != geometry]
            kinds = [_kind(frame[c]) for c in columns]
            parts = [sql.SQL("_row integer NOT NULL")] + [
                sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(k))
                for c, k in zip(columns, kinds, strict=True)
            ]
            names, marks = ["_row", *columns], ["%s"] * (len(columns) + 1)
            srid = _srid(frame, table, default=4490) if geometry is not None else 0
            if geometry is not None:
                parts.append(sql.SQL(f"geometry geometry(Geometry, {srid})"))
                names.append("geometry")
                marks.append(f"ST_GeomFromWKB(%s, {srid})")
            ident = sql.Identifier(schema, table)
            conn.execute(sql.SQL("CREATE TABLE {} ({})").format(ident, sql.SQL(", ").join(parts)))
            pairs = zip(columns, kinds, strict=True)
            cells = [[_cell(v, k) for v in frame[c].tolist()] for c, k in pairs]
            if geometry is not None:
                cells.append([shapely.to_wkb(g) for g in frame.geometry.array])
            rows = [[i, *(col[i] for col in cells)] for i in range(len(frame))]
            insert = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                ident,
                sql.SQL(", ").join(map(sql.Identifier, names)),
                sql.SQL(", ".join(marks)),
            )
            with conn.cursor() as cur:
                cur.executemany(insert, rows)
        names = list(EVENT_COLUMNS)
        conn.execute(
            f"CREATE TABLE {schema}.events (seq bigint, entity text, entity_id text, field text, "
            '"from" text, "to" text, date date, recorded_at text, "by" text, note text, '
            "evidence text, forced boolean)"
        )
        events = park.events[names].astype(object).where(park.events[names].notna(), None)
        with conn.cursor() as cur:
            cur.executemany(
                sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                    sql.Identifier(schema, "events"),
                    sql.SQL(", ").join(map(sql.Identifier, names)),
                    sql.SQL(", ".join(["%s"] * len(names))),
                ),
                [[v.item() if hasattr(v, "item") else v for v in r] for r in events.to_numpy()],
            )
    return schema


def _pg_tool(name: str) -> str | None:
    found = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    return str(found[-1]) if found else shutil.which(name)
