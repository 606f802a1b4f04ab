"""Shared fixtures: tiny parks built in code, near Yuanba (105.96E 32.32N)."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import NoReturn

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from parkgis.model.park import Manifest, Park

# A point in the CM105E Gauss-Kruger zone (EPSG:4544) near Yuanba.
GK_X, GK_Y = 590_000.0, 3_577_000.0
REPO = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    """Remembered geometry checks go to a folder of this test session, not the user's."""
    if "PARKGIS_CACHE_DIR" not in os.environ:
        os.environ["PARKGIS_CACHE_DIR"] = tempfile.mkdtemp(prefix="parkgis-test-cache-")


def gk_square(x: float, y: float, side: float):
    """A side × side metre square in EPSG:4544 with its south-west corner at (x, y)."""
    return box(x, y, x + side, y + side)


@pytest.fixture
def three_parcels() -> gpd.GeoDataFrame:
    """Three 100 m squares 20 m apart in EPSG:4544, with ids, names and statuses."""
    return gpd.GeoDataFrame(
        {
            "parcel_id": ["A", "B", "C"],
            "name": ["甲地块", "乙地块", "丙地块"],
            "acquisition_status": ["acquired", "unacquired", "supplied"],
            "declared_area_mu": [15.0, 15.0, 15.0],
        },
        geometry=[gk_square(GK_X + i * 120, GK_Y, 100) for i in range(3)],
        crs="EPSG:4544",
    )


@pytest.fixture
def small_park(three_parcels) -> Park:
    """A park of three parcels and one project holding parcel C."""
    projects = pd.DataFrame(
        {
            "project_id": ["P1"],
            "name": ["测试项目"],
            "stage": ["construction"],
            "land_demand_mu": [15.0],
            "parcel_ids": ["C"],
        }
    )
    return Park(
        manifest=Manifest(name="tiny", title="测试园区", private_fields=("owner_name",)),
        parcels=three_parcels.assign(owner_name=["张某某", None, None]),
        projects=projects,
    )


# --------------------------------------------------------------------------- parts of the machine


def under_ci() -> bool:
    """Whether the tests run under CI (``.ci/run`` exports ``CI=1``)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_part(reason: str) -> NoReturn:
    """A part the test needs is missing: skip locally, fail under CI.

    CI installs every part (scripts/test.sh: Chromium, fonts-noto-cjk,
    poppler-utils, PostgreSQL + PostGIS), so there a missing one is a broken
    CI, never a test quietly not run.
    """
    if under_ci():
        pytest.fail(f"CI must run this test, but {reason}", pytrace=False)
    pytest.skip(reason)


def needs(present: bool, reason: str) -> pytest.MarkDecorator:
    """Mark tests that need a part of the machine: skipped where it is missing, failed
    under CI (see :func:`missing_part`).

    ``reason`` says what is missing and how to install it, e.g.
    ``needs(shutil.which("chromium") is not None, "Chromium is not installed (apt-get
    install chromium)")``.
    """
    return pytest.mark.needs(None if present else reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("needs"):
        if mark.args and mark.args[0]:
            missing_part(mark.args[0])


# --------------------------------------------------------------------------- PostgreSQL


def _pg_tool(name: str) -> str | None:
    """A PostgreSQL server tool: Debian's newest /usr/lib/postgresql/*/bin, else the PATH."""
    found = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    return str(found[-1]) if found else shutil.which(name)


def _no_server(reason: str) -> None:
    """Skip locally; under CI (the CI variable set) a missing server is a failure."""
    missing_part(reason)


@pytest.fixture(scope="session")
def postgis_server():
    """A throwaway PostgreSQL + PostGIS cluster on a free local port, for the session.

    Yields the URL of its ``postgres`` database. initdb refuses to run as root, so as
    root the cluster belongs to the ``postgres`` user (``su postgres``). Skipped, with
    the reason, where PostgreSQL or psycopg is missing — except under CI.
    """
    initdb, pg_ctl = _pg_tool("initdb"), _pg_tool("pg_ctl")
    if initdb is None or pg_ctl is None:
        _no_server(
            "PostgreSQL is not installed (no initdb): apt-get install postgresql postgis "
            "postgresql-postgis, or run scripts/test.sh, which does"
        )
    try:
        import psycopg
    except ImportError:
        _no_server("psycopg is not installed: pip install -e '.[test]'")
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    # As root the server runs as postgres, which must reach the folder: /tmp, not $TMPDIR.
    root = Path(tempfile.mkdtemp(prefix="parkgis-pg-", dir="/tmp" if as_root else None))

    def run(*args: str) -> None:
        command = " ".join(shlex.quote(a) for a in args)
        argv = ["su", "postgres", "-c", command] if as_root else list(args)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if done.returncode:
            _no_server(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")

    if as_root:
        shutil.chown(root, "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = root / "data"
    run(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start")
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except psycopg.Error as exc:
        run(pg_ctl, "-D", str(data), "-m", "immediate", "stop")
        _no_server(f"PostGIS is not installed for this server ({exc}): apt-get install "
                   "postgresql-postgis")  # fmt: skip
    try:
        yield url
    finally:
        stop = [pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]
        command = " ".join(shlex.quote(a) for a in stop)
        argv = ["su", "postgres", "-c", command] if as_root else stop
        subprocess.run(argv, capture_output=True, timeout=120)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgis_db(postgis_server):
    """A fresh database on the session's server, dropped afterwards; yields its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgis_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield postgis_server.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(postgis_server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
