"""The PostGIS store on a real server (the ``postgis_db`` fixture of conftest.py).

Round trips, the same figures as the folder store, status changes through the
store, two processes changing the same parcels concurrently, and the log's
append-only rule enforced by the database.
"""

import datetime as dt
import itertools
import json
import subprocess
import sys
from collections import Counter

import pytest
from click.testing import CliRunner

from parkgis.cli import cli
from parkgis.errors import DataError, InputError
from parkgis.io import postgis
from parkgis.io.store import read_park, record_park_changes, write_park
from parkgis.model.history import StatusChange, events_of
from tests.test_atomic import same

AT = "2013-07-10T09:00:00+08:00"  # after every change it records


def run(*args: str, ok: tuple[int, ...] = (0,)):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code in ok, result.output
    return result


@pytest.fixture
def folder(tmp_path):
    """A copy of the bundled park (a park GeoPackage) with two recorded changes."""
    path = tmp_path / "yuanba.gpkg"
    write_park(read_park(), path)
    record_park_changes(
        path,
        [
            StatusChange("YB-R-01", "acquisition_status", "acquiring", dt.date(2013, 7, 1), "王工"),
            StatusChange("P16", "stage", "site_prep", dt.date(2013, 7, 5), "王工", note="开工"),
        ],
        recorded_at=AT,
    )
    return path


@pytest.fixture
def store(postgis_db, folder):
    """The folder's park pushed into a fresh database; the store URL."""
    url = f"{postgis_db}?park=yuanba"
    run("db", "init", "--store", postgis_db)
    run("db", "push", str(folder), "--store", url)
    return url


def test_push_and_pull_round_trip(store, folder, tmp_path):
    assert same(postgis.read_park(store), read_park(folder))
    pulled = tmp_path / "pulled.gpkg"
    run("db", "pull", "--store", store, "-o", str(pulled))
    assert same(read_park(pulled), read_park(folder))
    assert postgis.list_parks(store) == ["yuanba"]
    assert run("db", "list", "--store", store).output.split() == ["yuanba"]
    result = run("db", "push", str(folder), "--store", store, ok=(2,))
    assert "exists already" in result.output and "--replace" in result.output
    run("db", "push", str(folder), "--store", store, "--replace")
    assert same(postgis.read_park(store), read_park(folder))


@pytest.mark.parametrize(
    "command",
    [
        ("area", "--format", "json"),
        ("area", "--by", "acquisition_status", "--format", "csv"),
        ("reserve", "--format", "json"),
        ("reserve", "--format", "json", "--as-of", "2013-06-30"),
        ("validate", "--format", "json"),
        ("gaps", "--format", "json", "--today", "2013-12-31"),
        ("history", "--format", "json"),
    ],
)
def test_the_same_figures_from_either_store(store, folder, command):
    name, *options = command
    if name == "history":
        from_folder = run(name, "--park", str(folder), *options).output
        from_store = run(name, "--park", store, *options).output
        assert from_store == run(name, "--store", store, *options).output
    else:
        from_folder = run(name, str(folder), *options).output
        from_store = run(name, store, *options).output
        assert from_store == run(name, "--store", store, *options).output
    assert from_folder == from_store
    assert from_store.strip()


def test_the_same_map_file_from_either_store(store, folder, tmp_path):
    a, b = tmp_path / "folder.html", tmp_path / "store.html"
    run("map", str(folder), "-o", str(a), "--as-of", "2013-06-30")
    run("map", "--store", store, "-o", str(b), "--as-of", "2013-06-30")
    assert a.read_bytes() == b.read_bytes()


def test_status_set_and_as_of_through_the_store(store):
    run("status", "set", "YB-R-01", "acquired", "--park", store, "--date", "2013-08-01",
        "--by", "李工", "--evidence", "元府征〔2013〕20号")  # fmt: skip
    result = run("status", "set", "YB-R-01", "leveled", "--park", store, "--date", "2013-07-15",
                 "--by", "李工", ok=(1,))  # fmt: skip
    assert "last changed on 2013-08-01" in result.output
    events = json.loads(run("history", "YB-R-01", "--store", store, "--format", "json").output)
    assert [(e["from"], e["to"], e["date"], e["by"]) for e in events] == [
        ("unacquired", "acquiring", "2013-07-01", "王工"),
        ("acquiring", "acquired", "2013-08-01", "李工"),
    ]

    def status(*extra):
        rows = json.loads(run("area", "--store", store, "--format", "json", *extra).output)
        return {r["parcel_id"]: r["acquisition_status"] for r in rows}["YB-R-01"]

    assert status() == "acquired"
    assert status("--as-of", "2013-07-20") == "acquiring"
    assert status("--as-of", "2013-06-30") == "unacquired"
    parcel = postgis.read_park(store).parcels.set_index("parcel_id").loc["YB-R-01"]
    assert parcel["status_date"] == "2013-08-01"


def test_the_log_is_append_only_in_the_database(store):
    import psycopg

    conninfo, _ = postgis.split_store_url(store)
    for statement in (
        "UPDATE park_yuanba.events SET \"to\" = 'supplied'",
        "DELETE FROM park_yuanba.events",
        "TRUNCATE park_yuanba.events",
    ):
        with psycopg.connect(conninfo) as conn, pytest.raises(psycopg.Error, match="append-only"):
            conn.execute(statement)
    assert len(postgis.read_park(store).events) == 2


def test_store_errors_name_the_way_out(postgis_db, store, folder):
    with pytest.raises(InputError, match="no park 'nope'; parks: yuanba"):
        postgis.read_park(f"{postgis_db}?park=nope")
    postgis.push_park(read_park(folder), f"{postgis_db}?park=other")
    with pytest.raises(InputError, match=r"say which park with \?park=NAME"):
        postgis.read_park(postgis_db)
    with pytest.raises(InputError, match="cannot connect"):
        postgis.read_park("postgresql://nobody:secret@127.0.0.1:1/none?park=x")
    try:
        postgis.read_park("postgresql://nobody:secret@127.0.0.1:1/none?park=x")
    except InputError as exc:
        assert "secret" not in str(exc)
    with pytest.raises(DataError, match="skips"):
        postgis.record_store_changes(
            store,
            [StatusChange("YB-R-02", "acquisition_status", "supplied",
                          dt.date(2013, 7, 1), "王工")],
            recorded_at=AT,
        )  # fmt: skip


WORKER = r"""
import datetime as dt, random, sys
from parkgis.errors import DataError
from parkgis.model.history import StatusChange
from parkgis.io.postgis import record_store_changes

url, by, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
print("ready", flush=True)
sys.stdin.readline()  # both start together
statuses = ["unacquired", "acquiring", "acquired", "leveled", "listed", "sold", "supplied"]
done = 0
while done < n:
    parcel = rng.choice(["YB-R-03", "YB-R-04"])
    change = StatusChange(parcel, "acquisition_status", rng.choice(statuses),
                          dt.date(2013, 8, 1), by, force=True)
    try:
        record_store_changes(url, [change], recorded_at="2013-08-01T10:00:00+08:00")
    except DataError as exc:  # "already <status>": the other worker got there first; pick again
        assert "already" in str(exc), exc
        continue
    done += 1
print(done)
"""


def test_two_processes_500_changes_each_lose_nothing(store):
    initial = postgis.read_park(store).parcels.set_index("parcel_id")["acquisition_status"]
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, store, f"worker-{k}", "500", str(k)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
        for k in (1, 2)
    ]  # fmt: skip
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        assert out.strip() == "500"
    park = postgis.read_park(store)
    events = [e for e in events_of(park.events) if e.date.isoformat() == "2013-08-01"]
    assert len(events) == 1000
    assert Counter(e.by for e in events) == {"worker-1": 500, "worker-2": 500}
    assert len({e.seq for e in events}) == 1000
    # The two really ran side by side: their changes interleave in the log.
    assert sum(a.by != b.by for a, b in itertools.pairwise(events)) > 50
    status = park.parcels.set_index("parcel_id")["acquisition_status"]
    for parcel in ("YB-R-03", "YB-R-04"):
        chain = [e for e in events if e.entity_id == parcel]
        # Each change started from the value the one before left: no update was lost.
        assert chain[0].from_ == initial[parcel]
        assert all(a.to == b.from_ for a, b in itertools.pairwise(chain))
        assert status[parcel] == chain[-1].to  # the table says what the log says


# --------------------------------------------------------------------------- as a DBA would


def _catalogue(store, query, *params):
    import psycopg

    conninfo, _ = postgis.split_store_url(store)
    with psycopg.connect(conninfo) as conn:
        return conn.execute(query, params or None).fetchall()


def test_keys_spatial_indexes_and_foreign_keys(store):
    keys = _catalogue(
        store,
        "SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc "
        "JOIN information_schema.key_column_usage kcu USING (constraint_schema, constraint_name) "
        "WHERE tc.table_schema = 'park_yuanba' AND tc.constraint_type = 'PRIMARY KEY' "
        "ORDER BY 1",
    )
    assert keys == [("events", "seq"), ("parcels", "parcel_id"), ("projects", "project_id")]
    gist = _catalogue(
        store,
        "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'park_yuanba' "
        "AND indexdef ILIKE '%USING gist (geometry)%' ORDER BY 1",
    )
    assert [t for t, _ in gist] == ["constraints", "parcels"]
    foreign = _catalogue(
        store,
        "SELECT conrelid::regclass::text, confrelid::regclass::text, pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE contype = 'f' AND connamespace = 'park_yuanba'::regnamespace "
        "ORDER BY 2",
    )
    assert [(a, b) for a, b, _ in foreign] == [
        ("park_yuanba.events", "park_yuanba.parcels"),
        ("park_yuanba.events", "park_yuanba.projects"),
    ]
    assert "REFERENCES park_yuanba.parcels(parcel_id)" in foreign[0][2]
    # The keys hold the log to its rows: a parcel event names a parcel, a project's a project.
    rows = _catalogue(
        store,
        "SELECT entity, parcel_id, project_id FROM park_yuanba.events ORDER BY seq",
    )
    assert rows == [("parcel", "YB-R-01", None), ("project", None, "P16")]


def test_a_parcel_with_a_history_cannot_be_deleted_nor_an_event_for_no_parcel(store):
    import psycopg

    conninfo, _ = postgis.split_store_url(store)
    with psycopg.connect(conninfo) as conn, pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute("DELETE FROM park_yuanba.parcels WHERE parcel_id = 'YB-R-01'")
    with psycopg.connect(conninfo) as conn, pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute(
            'INSERT INTO park_yuanba.events (entity, entity_id, field, date, recorded_at, "by") '
            "VALUES ('parcel', 'NO-SUCH', 'acquisition_status', '2013-08-01', %s, 'x')",
            (AT,),
        )


def test_push_refuses_a_repeated_parcel_id(postgis_db, folder):
    park = read_park(folder)
    parcels = park.parcels.copy()
    parcels.loc[parcels.index[1], "parcel_id"] = parcels["parcel_id"].iloc[0]
    with pytest.raises(DataError, match="parcel_id repeated"):
        postgis.push_park(park.replace(parcels=parcels), f"{postgis_db}?park=bad")
    assert postgis.list_parks(postgis_db) == []


def _grid_park(n):
    import geopandas as gpd
    from shapely import box

    from parkgis.model.park import Manifest, Park

    side = int(n**0.5) + 1
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"G-{i:05d}" for i in range(n)],
            "acquisition_status": ["acquired"] * n,
            "declared_area_mu": [15.0] * n,
        },
        geometry=[
            box(590_000 + (i % side) * 110, 3_577_000 + (i // side) * 110,
                590_100 + (i % side) * 110, 3_577_100 + (i // side) * 110)
            for i in range(n)
        ],
        crs="EPSG:4544",
    )  # fmt: skip
    return Park(manifest=Manifest(name="grid"), parcels=parcels)


def test_a_10k_parcel_push_is_one_transaction(postgis_db):
    url = f"{postgis_db}?park=grid"
    seen = []
    postgis.push_park(_grid_park(10_000), url, progress=lambda done, total: seen.append(done))
    assert seen[-1] == 10_000 and len(seen) > 5 and seen == sorted(seen)
    (xids,) = _catalogue(
        url,
        "SELECT count(DISTINCT p.xmin::text), min(p.xmin::text), "
        "(SELECT xmin::text FROM parkgis.parks WHERE name = 'grid') FROM park_grid.parcels p",
    )
    assert xids[0] == 1 and xids[1] == xids[2]  # every row written by the same transaction
    assert _catalogue(url, "SELECT count(*) FROM park_grid.parcels") == [(10_000,)]


PUSHER = r"""
import sys, time
from parkgis.io import postgis
from tests.test_postgis import _grid_park

def progress(done, total):
    if done >= total // 2:
        print("halfway", flush=True)
        time.sleep(120)

postgis.push_park(_grid_park(10_000), sys.argv[1], progress=progress)
print("pushed", flush=True)
"""


def test_killed_mid_push_leaves_nothing(postgis_db):
    import signal
    import time

    url = f"{postgis_db}?park=grid"
    with subprocess.Popen(
        [sys.executable, "-c", PUSHER, url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as pusher:  # fmt: skip
        try:
            assert pusher.stdout.readline().strip() == "halfway", pusher.stderr.read()
            # Mid-COPY: the rows so far are in the server, in the open transaction.
            pusher.send_signal(signal.SIGKILL)
        finally:
            if pusher.poll() is None:
                pusher.kill()
            pusher.communicate(timeout=30)
    assert pusher.returncode == -signal.SIGKILL
    for _ in range(100):  # the server notices the closed connection and rolls back
        busy = _catalogue(
            postgis_db + "?park=x",
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state <> 'idle'",
        )
        if busy == [(0,)]:
            break
        time.sleep(0.1)
    assert postgis.list_parks(postgis_db) == []
    schemas = _catalogue(
        postgis_db + "?park=x",
        "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'park_%'",
    )
    assert schemas == []
    postgis.push_park(_grid_park(100), url)  # and the store takes the park afterwards
    assert postgis.list_parks(postgis_db) == ["grid"]
