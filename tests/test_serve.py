"""``parkgis serve`` under Starlette's TestClient, and ``parkgis users``.

A small park (four 100 m squares, a hostile name and a template-looking name,
a private owner field) in a GeoPackage, with an editor, a viewer and an
admin. :func:`running_server` runs the app on uvicorn on 127.0.0.1 for the
browser and load tests (tests/test_serve_browser.py).

Test-only: the autouse fixture :func:`fast_argon2` hashes the passwords of
NEW users with the smallest argon2 parameters (by monkeypatching
``parkgis.serve.users._NEW_HASH_OPTIONS``), so that these tests do not spend
their time in argon2; users' defaults and the verification of stored hashes
are untouched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

pytest.importorskip("starlette", reason="the serve extra is not installed")

from starlette.testclient import TestClient

from parkgis.check.reading import read_checked
from parkgis.cli import cli
from parkgis.io.store import create_park, read_park, write_park
from parkgis.model.park import Manifest, Park
from parkgis.serve.app import create_app
from parkgis.serve.users import add_user, authenticate, list_users
from tests.conftest import GK_X, GK_Y, gk_square
from tests.test_maps import TEMPLATE, XSS, make_park


@pytest.fixture(autouse=True)
def fast_argon2(monkeypatch):
    """Hash new passwords with argon2's smallest parameters (tests only, see the docstring)."""
    from parkgis.serve import users

    monkeypatch.setattr(
        users, "_NEW_HASH_OPTIONS", {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
    )
    monkeypatch.setattr(users, "_DUMMY", [])


PASSWORDS = {"editor1": "pass-editor-1", "viewer1": "pass-viewer-1", "admin1": "pass-admin-1"}
OWNER = "张三丰"


def small_park(path: Path) -> Path:
    """The park of these tests, with its three users."""
    park = make_park(
        ["unacquired", "acquiring", "acquired", "leveled"],
        names=[XSS, TEMPLATE, "普通地块", "另一块"],
        extra={"owner_name": [OWNER, "李四", "王五", "赵六"]},
        private=("owner_name",),
    )
    create_park(park, path)
    for name, role in (("editor1", "editor"), ("viewer1", "viewer"), ("admin1", "admin")):
        add_user(path, name, PASSWORDS[name], role=role)
    return path


@pytest.fixture
def park_file(tmp_path: Path) -> Path:
    return small_park(tmp_path / "tiny.gpkg")


@pytest.fixture
def app(park_file: Path):
    return create_app(park_file, poll_seconds=0.5)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str | None = None, *, root: str = "") -> int:
    token = csrf_of(client.get(f"{root}/login").text)
    response = client.post(
        f"{root}/login",
        data={"csrf": token, "username": name, "password": password or PASSWORDS[name]},
        follow_redirects=False,
    )
    return response.status_code


def client_as(app, name: str | None) -> TestClient:
    client = TestClient(app)
    if name is not None:
        assert sign_in(client, name) == 303
    return client


def history(park: Path, entity_id: str | None = None) -> list[dict]:
    args = ["history", *([entity_id] if entity_id else []), "--park", str(park), "--format", "json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def edit(client: TestClient, pid: str, **form: str):
    token = csrf_of(client.get(f"/parcel/{pid}").text)
    data = {"csrf": token, "field": "acquisition_status", "value": "acquiring",
            "date": "2024-03-01", "note": "会议纪要", **form}  # fmt: skip
    return client.post(f"/parcel/{pid}/status", data=data, follow_redirects=False)


# --------------------------------------------------------------------------- sign-in


def test_anonymous_is_sent_to_sign_in(app):
    client = TestClient(app)
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert client.get("/api/summary").status_code == 401


def test_sign_in_sets_a_safe_cookie(app):
    client = TestClient(app)
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"csrf": token, "username": "editor1", "password": PASSWORDS["editor1"]},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert PASSWORDS["editor1"] not in cookie
    page = client.get("/")
    assert page.status_code == 200
    assert "editor1" in page.text
    assert page.headers["x-frame-options"] == "SAMEORIGIN"


def test_wrong_password_then_rate_limit(app):
    client = TestClient(app)
    for _ in range(5):
        assert sign_in(client, "editor1", "wrong-password") == 401
    # the sixth try is refused even with the right password
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"csrf": token, "username": "editor1", "password": PASSWORDS["editor1"]},
        follow_redirects=False,
    )
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0


def test_rate_limit_per_address_across_names(app):
    client = TestClient(app)
    for i in range(5):
        assert sign_in(client, f"nobody{i}", "wrong-password") == 401
    assert sign_in(client, "viewer1") == 429


def test_login_needs_csrf(app):
    client = TestClient(app)
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": "editor1", "password": PASSWORDS["editor1"]},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_next_never_leaves_the_app(app):
    client = TestClient(app)
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={
            "csrf": token,
            "username": "viewer1",
            "password": PASSWORDS["viewer1"],
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


# --------------------------------------------------------------------------- edits


def test_edit_is_recorded_with_the_user(app, park_file):
    client = client_as(app, "editor1")
    response = edit(client, "T-01", note="征收预公告 <b>x</b>", evidence="元府征预〔2024〕3号")
    assert response.status_code == 303, response.text
    events = history(park_file, "T-01")
    assert len(events) == 1
    event = events[0]
    assert (event["field"], event["from"], event["to"]) == (
        "acquisition_status", "unacquired", "acquiring",
    )  # fmt: skip
    assert event["by"] == "editor1"
    assert event["date"] == "2024-03-01"
    assert event["note"] == "征收预公告 <b>x</b>"
    page = client.get(response.headers["location"]).text
    assert "征收中" in page
    assert "征收预公告 &lt;b&gt;x&lt;/b&gt;" in page


def test_edit_without_csrf_is_refused(app, park_file):
    client = client_as(app, "editor1")
    data = {"field": "acquisition_status", "value": "acquiring", "date": "2024-03-01",
            "note": "x"}  # fmt: skip
    assert client.post("/parcel/T-01/status", data=data).status_code == 403
    data["csrf"] = "forged"
    assert client.post("/parcel/T-01/status", data=data).status_code == 403
    assert history(park_file) == []


def test_viewer_cannot_edit(app, park_file):
    client = client_as(app, "viewer1")
    page = client.get("/parcel/T-01").text
    assert 'id="edit"' not in page
    response = edit(client, "T-01")
    assert response.status_code == 403
    assert history(park_file) == []


def test_edit_checks_date_note_and_chain(app, park_file):
    client = client_as(app, "editor1")
    assert edit(client, "T-01", date="2999-01-01").status_code == 400
    assert edit(client, "T-01", note="  ").status_code == 400
    refused = edit(client, "T-01", value="supplied")  # a skip along the chain
    assert refused.status_code == 400
    assert "error" in refused.text
    assert history(park_file) == []


def test_public_reads_but_never_edits(park_file):
    app = create_app(park_file, public=True)
    client = TestClient(app)
    assert client.get("/").status_code == 200
    page = client.get("/parcel/T-01").text
    assert OWNER not in page
    assert 'id="edit"' not in page
    token = csrf_of(client.get("/login").text)
    data = {"csrf": token, "field": "acquisition_status", "value": "acquiring",
            "date": "2024-03-01", "note": "x"}  # fmt: skip
    assert client.post("/parcel/T-01/status", data=data).status_code == 403
    assert history(park_file) == []


def post_form(client: TestClient, pid: str, action: str, **form: str):
    token = csrf_of(client.get(f"/parcel/{pid}").text)
    data = {"csrf": token, "date": "2024-03-01", "note": "会议纪要", **form}
    return client.post(f"/parcel/{pid}/{action}", data=data, follow_redirects=False)


def test_assign_a_parcel_to_a_project(tmp_path):
    park_file = tmp_path / "projects.gpkg"
    projects = ["PJ-1", "PJ-2"]
    table = pd.DataFrame({"project_id": projects, "name": ["新材料", "<b>物流</b>"],
                          "stage": ["signed", "signed"]})  # fmt: skip
    create_park(make_park(["unacquired"] * 4, projects=table), park_file)
    for name, role in (("editor1", "editor"), ("viewer1", "viewer")):
        add_user(park_file, name, PASSWORDS[name], role=role)
    app = create_app(park_file)
    client = client_as(app, "editor1")
    assert "&lt;b&gt;物流&lt;/b&gt;" in client.get("/parcel/T-03").text
    assert f'<option value="{projects[0]}">' in client.get("/parcel/T-03").text
    response = post_form(client, "T-03", "project", project_id=projects[0])
    assert response.status_code == 303, response.text
    [event] = history(park_file, "T-03")
    assert (event["field"], event["to"], event["by"]) == ("project_id", projects[0], "editor1")
    assert (
        read_park(park_file).parcels.set_index("parcel_id").loc["T-03", "project_id"]
        == (projects[0])
    )
    assert post_form(client, "T-03", "project", project_id="NO-SUCH").status_code == 400
    assert post_form(client, "T-03", "project", project_id=projects[0]).status_code == 400
    viewer = client_as(app, "viewer1")
    assert post_form(viewer, "T-04", "project", project_id=projects[0]).status_code == 403
    assert len(history(park_file)) == 1


def test_retire_a_parcel(app, park_file):
    client = client_as(app, "editor1")
    assert post_form(client, "T-04", "retire").status_code == 400  # not confirmed
    response = post_form(client, "T-04", "retire", confirm="1")
    assert response.status_code == 303, response.text
    [event] = history(park_file, "T-04")
    assert (event["field"], event["to"], event["by"]) == ("retired", "true", "editor1")
    park = read_park(park_file, private=True)
    assert "T-04" not in park.parcels["parcel_id"].tolist()
    assert park.retired["parcel_id"].tolist() == ["T-04"]
    assert park.retired["retired_on"].tolist() == ["2024-03-01"]
    assert client.get("/parcel/T-04").status_code == 404
    summary = client.get("/api/summary").json()["summary"]
    assert sum(r["count"] for r in summary) == 3
    assert post_form(client, "T-03", "retire", confirm="1", date="2999-01-01").status_code == 400


def _served_equals_fresh(app, park_file: Path) -> None:
    """The snapshot served after edits applied in memory is what a fresh reading gives."""
    from parkgis.io.loose import load_park
    from parkgis.serve.land import parcel_figures
    from parkgis.serve.state import Snapshot

    state = app.state.park
    served = state.latest()
    fresh = read_checked(load_park(park_file, private=True).park)
    assert served.version == state.version()
    assert served.reading.problems == fresh.problems
    for got, want in ((served.park, fresh.park), (served.reading.measured, fresh.measured)):
        columns = list(want.parcels.columns)
        assert sorted(got.parcels.columns) == sorted(columns)
        pd.testing.assert_frame_equal(
            pd.DataFrame(got.parcels[columns]), pd.DataFrame(want.parcels), check_dtype=False
        )
        pd.testing.assert_frame_equal(got.events, want.events)
    figures, again = served.figures(), parcel_figures(fresh)
    pd.testing.assert_frame_equal(figures.table(), again.table())
    pd.testing.assert_frame_equal(figures.buildable, again.buildable)
    other = Snapshot(version=served.version, reading=fresh, seq=served.seq)
    assert (served.status_codes() == other.status_codes()).all()
    # every parcel page (fields, figures, history) and the summary, as a fresh server has them
    client, new = client_as(app, "admin1"), client_as(create_app(park_file), "admin1")
    json_ = {"accept": "application/json"}
    for pid in fresh.park.parcels["parcel_id"]:
        assert client.get(f"/parcel/{pid}", headers=json_).json() == (
            new.get(f"/parcel/{pid}", headers=json_).json()
        )
    assert client.get("/api/summary").json() == new.get("/api/summary").json()


def test_the_snapshot_after_edits_is_a_fresh_reading(tmp_path):
    """Edits are applied in memory; the result must be what reading the park again gives.

    T-01 holds land for PJ-1 (its project_id) and T-02 is earmarked for it:
    when T-01 is acquired, PJ-1 needs no more land, so T-02's supply changes
    although nobody edited T-02. T-05 has no status (a problem) until one is
    recorded; T-03 is assigned to a project (the allocations change).
    """
    park_file = tmp_path / "edits.gpkg"
    projects = pd.DataFrame({"project_id": ["PJ-1", "PJ-2"], "name": ["一号", "二号"],
                             "stage": ["signed"] * 2, "land_demand_mu": [5.0, 50.0]})  # fmt: skip
    park = make_park(["acquiring", "unacquired", "acquired", "leveled", None],
                     project_ids=["PJ-1", "PJ-1", None, None, None], projects=projects,
                     extra={"owner_name": [OWNER, "李四", "王五", "赵六", "钱七"]},
                     private=("owner_name",))  # fmt: skip
    create_park(park, park_file)
    for name, role in (("editor1", "editor"), ("admin1", "admin")):
        add_user(park_file, name, PASSWORDS[name], role=role)
    app = create_app(park_file)
    first = app.state.park.latest()
    assert [p.code for p in first.reading.problems if p.parcel_id == "T-05"] == ["missing_value"]
    client = client_as(app, "editor1")
    before = client.get("/parcel/T-02", headers={"accept": "application/json"}).json()
    edits = [
        ("T-01", "status", {"field": "acquisition_status", "value": "acquired"}),
        ("T-05", "status", {"field": "acquisition_status", "value": "unacquired"}),
        ("T-04", "status", {"field": "acquisition_step", "value": "approved", "force": "1"}),
        ("T-04", "status", {"field": "title_status", "value": "applying"}),
        ("T-03", "status", {"field": "acquisition_status", "value": "leveled"}),
    ]
    for pid, action, form in edits:
        assert post_form(client, pid, action, **form).status_code == 303
    served = app.state.park.latest()
    assert served.seq == len(edits)
    assert served.reading.area_mu is first.reading.area_mu  # applied in memory, not read again
    assert [p.code for p in served.reading.problems if p.parcel_id == "T-05"] == []
    after = client.get("/parcel/T-02", headers={"accept": "application/json"}).json()
    assert before["figures"] != after["figures"]  # T-02's supply followed T-01's acquisition
    _served_equals_fresh(app, park_file)
    assert post_form(client, "T-03", "project", project_id="PJ-2").status_code == 303
    assert post_form(client, "T-02", "status", field="acquisition_status",
                     value="acquiring").status_code == 303  # fmt: skip
    served = app.state.park.latest()
    assert served.seq == len(edits) + 2
    assert served.reading.area_mu is first.reading.area_mu
    _served_equals_fresh(app, park_file)


def test_figures_that_cannot_be_computed_are_told_not_guessed(tmp_path):
    """A date the reserve cannot read stops its figures for every parcel, as `reserve` stops."""
    path = tmp_path / "dates.gpkg"
    create_park(make_park(["unacquired", "acquired"],
                          extra={"expected_acquisition": ["明年春天", None]}), path)  # fmt: skip
    client = TestClient(create_app(path, public=True))
    for pid in ("T-01", "T-02"):
        page = client.get(f"/parcel/{pid}?lang=en", headers={"accept": "application/json"}).json()
        assert [label for label, _ in page["figures"]] == ["Declared area (mu)", "Area (mu)"]
        assert page["parcel_notes"] == [
            "net buildable and reserve figures cannot be given: parcels row parcel_id=T-01: "
            "expected_acquisition '明年春天' is not a date; write it as YYYY-MM-DD"
        ]


# --------------------------------------------------------------------------- split and merge

GRID = {"T-A": (0, 0), "T-B": (100, 0), "T-C": (0, 100), "T-D": (100, 100), "T-E": (400, 0)}
"""A 2 × 2 block of 100 m squares (T-A, T-B south; T-C, T-D north) and T-E apart."""


def grid_park(path: Path) -> Path:
    """The park of the split and merge tests: T-D is not acquired; owners are private."""
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": list(GRID),
            "name": ["甲", "乙", "丙", "丁", "戊"],
            "zone": ["一区"] * 5,
            "acquisition_status": ["acquired", "acquired", "acquired", "unacquired", "acquired"],
            "declared_area_mu": [15.0] * 5,
            "owner_name": [OWNER, "李四", "王五", "赵六", "钱七"],
        },
        geometry=[gk_square(GK_X + x, GK_Y + y, 100) for x, y in GRID.values()],
        crs="EPSG:4544",
    )
    park = Park(Manifest(name="grid", title="网格", private_fields=("owner_name",)), parcels)
    create_park(park, path)
    for name, role in (("editor1", "editor"), ("viewer1", "viewer"), ("admin1", "admin")):
        add_user(path, name, PASSWORDS[name], role=role)
    return path


@pytest.fixture
def grid(tmp_path: Path) -> Path:
    return grid_park(tmp_path / "grid.gpkg")


def merge(client: TestClient, pid: str, *others: str, lang: str = "", **form: str):
    token = csrf_of(client.get(f"/parcel/{pid}").text)
    data = {"csrf": token, "with": list(others), "new_id": "M-1", "new_name": "合宗 <b>1</b>",
            "date": "2024-03-01", "note": "合宗批复", **form}  # fmt: skip
    query = f"?lang={lang}" if lang else ""
    return client.post(f"/parcel/{pid}/merge{query}", data=data, follow_redirects=False)


def parts_file(folder: Path, boxes: list[tuple[float, float, float, float]], *,
               suffix: str = ".geojson", ids: list[str] | None = None) -> Path:  # fmt: skip
    """The survey of the parts of a split: ``boxes`` (x0, y0, x1, y1 from the grid's corner)."""
    ids = ids or [f"T-A{k + 1}" for k in range(len(boxes))]
    parts = gpd.GeoDataFrame(
        {"parcel_id": ids, "name": [f"分宗{k + 1}" for k in range(len(boxes))]},
        geometry=[gk_square(0, 0, 1).__class__(
            [(GK_X + a, GK_Y + b), (GK_X + c, GK_Y + b), (GK_X + c, GK_Y + d),
             (GK_X + a, GK_Y + d)]) for a, b, c, d in boxes],
        crs="EPSG:4544",
    )  # fmt: skip
    path = folder / f"parts{suffix}"
    if suffix == ".txt":
        from pyproj import CRS

        from parkgis.io.boundary_txt import write_boundary_txt

        write_boundary_txt(parts, path, crs=CRS.from_epsg(4544))
    else:
        parts.to_crs("EPSG:4326").to_file(path)
    return path


def split(client: TestClient, pid: str, path: Path, **form: str):
    token = csrf_of(client.get(f"/parcel/{pid}").text)
    data = {"csrf": token, "date": "2024-03-01", "note": "分宗测量", **form}
    files = {"parts": (path.name, path.read_bytes(), "application/octet-stream")}
    return client.post(f"/parcel/{pid}/split", data=data, files=files, follow_redirects=False)


def test_merge_neighbours_into_a_new_parcel(grid):
    from parkgis.io.gpkg import read_park as read_gpkg
    from parkgis.measure.area import gross_area_mu

    app = create_app(grid)
    client = client_as(app, "editor1")
    page = client.get("/parcel/T-A").text
    offered = re.findall(r'name="with" value="([^"]+)"', page)
    assert offered == ["T-B", "T-C"]  # T-D touches at a corner only, T-E is apart
    response = merge(client, "T-A", "T-B", evidence="元府地合〔2024〕1号")
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/parcel/M-1?recorded=")
    events = history(grid)
    assert [(e["entity_id"], e["field"], e["from"], e["to"]) for e in events] == [
        ("M-1", "merge", "T-A,T-B", "M-1"),
        ("T-A", "retired", None, "true"),
        ("T-B", "retired", None, "true"),
        ("M-1", "added", None, "true"),
    ]
    assert {(e["by"], e["date"], e["evidence"]) for e in events} == {
        ("editor1", "2024-03-01", "元府地合〔2024〕1号")
    }
    assert events[1]["note"] == "merged into M-1; 合宗批复"
    park = read_gpkg(grid, private=True)
    merged = park.parcels.set_index("parcel_id").loc["M-1"]
    assert merged["derived_from"] == "T-A,T-B"
    assert merged["declared_area_mu"] == pytest.approx(30.0)
    assert merged["acquisition_status"] == "acquired"
    assert merged["owner_name"] == f"{OWNER}；李四"
    assert float(gross_area_mu(park.parcels[park.parcels["parcel_id"] == "M-1"]).iloc[0]) == (
        pytest.approx(30.0, rel=1e-3)
    )
    assert sorted(park.retired["parcel_id"]) == ["T-A", "T-B"]
    before = read_gpkg(grid, as_of=dt.date(2024, 2, 29))
    assert sorted(before.parcels["parcel_id"]) == ["T-A", "T-B", "T-C", "T-D", "T-E"]
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert "合宗 &lt;b&gt;1&lt;/b&gt;" in page.text
    assert client.get("/parcel/T-A").status_code == 404
    summary = client.get("/api/summary").json()["summary"]
    assert sum(r["count"] for r in summary) == 4


@pytest.mark.parametrize(
    ("others", "form", "zh", "en"),
    [
        (["T-E"], {}, "不相连", "do not form one piece"),
        (["T-D"], {}, "不相连", "do not form one piece"),  # a corner is not a boundary
        (["T-B"], {"new_id": "T-C"}, "已有地块的编号", "already the id of a parcel of"),
        (["T-B"], {"date": "2999-01-01"}, "在将来", "in the future"),
        (["T-B"], {"note": " "}, "请填写说明", "a note is required"),
        ([], {}, "请选择至少一宗", "choose at least one"),
    ],
)
def test_merge_refused(grid, others, form, zh, en):
    app = create_app(grid)
    client = client_as(app, "editor1")
    refused = merge(client, "T-A", *others, **form)
    assert refused.status_code == 400
    assert zh in refused.text
    assert en in merge(client, "T-A", *others, lang="en", **form).text
    assert history(grid) == []


def test_merge_refuses_parcels_whose_status_differs(grid):
    client = client_as(create_app(grid), "editor1")
    refused = merge(client, "T-C", "T-D", lang="en")
    assert refused.status_code == 400
    assert "acquisition_status differs between the parcels to merge" in refused.text
    assert "T-C=acquired, T-D=unacquired" in refused.text
    assert history(grid) == []


def test_split_and_merge_need_an_editor_and_csrf(grid, tmp_path):
    viewer = client_as(create_app(grid), "viewer1")
    assert merge(viewer, "T-A", "T-B").status_code == 403
    parts = parts_file(tmp_path, [(0, 0, 60, 100), (60, 0, 100, 100)])
    assert split(viewer, "T-A", parts).status_code == 403
    editor = client_as(create_app(grid), "editor1")
    assert merge(editor, "T-A", "T-B", csrf="forged").status_code == 403
    assert split(editor, "T-A", parts, csrf="forged").status_code == 403
    assert history(grid) == []


@pytest.mark.parametrize("suffix", [".geojson", ".txt"])
def test_split_a_parcel_from_a_survey(grid, tmp_path, suffix):
    from parkgis.io.gpkg import read_park as read_gpkg

    app = create_app(grid)
    client = client_as(app, "editor1")
    parts = parts_file(tmp_path, [(0, 0, 60, 100), (60, 0, 100, 100)], suffix=suffix)
    response = split(client, "T-A", parts, evidence="分宗测量报告 2024-07")
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/parcel/T-A1?recorded=")
    events = history(grid)
    assert [(e["entity_id"], e["field"], e["from"], e["to"]) for e in events] == [
        ("T-A", "split", "T-A", "T-A1,T-A2"),
        ("T-A", "retired", None, "true"),
        ("T-A1", "added", None, "true"),
        ("T-A2", "added", None, "true"),
    ]
    assert {e["by"] for e in events} == {"editor1"}
    assert events[1]["note"] == "split into T-A1,T-A2; 分宗测量"
    park = read_gpkg(grid, private=True)
    rows = park.parcels.set_index("parcel_id")
    for pid, mu in (("T-A1", 9.0), ("T-A2", 6.0)):
        assert rows.loc[pid, "derived_from"] == "T-A"
        assert rows.loc[pid, "acquisition_status"] == "acquired"
        assert rows.loc[pid, "owner_name"] == OWNER
        assert client.get(f"/parcel/{pid}").status_code == 200
        served = client.get(f"/parcel/{pid}", headers={"accept": "application/json"}).json()
        assert dict(served["figures"])["面积(亩)"] == pytest.approx(mu, rel=1e-3)
    assert park.retired["parcel_id"].tolist() == ["T-A"]
    before = read_gpkg(grid, as_of=dt.date(2024, 2, 29)).parcels
    assert sorted(before["parcel_id"]) == ["T-A", "T-B", "T-C", "T-D", "T-E"]
    history_page = client.get("/parcel/T-A1").text
    assert "editor1" in history_page


@pytest.mark.parametrize(
    ("boxes", "zh", "en"),
    [
        ([(0, 0, 60, 100), (50, 0, 100, 100)], "相互重叠", "the parts overlap"),
        ([(5, 0, 65, 100), (65, 0, 105, 100)], "不吻合", "do not lie within parcel T-A"),
        ([(0, 0, 60, 100), (60, 0, 90, 100)], "未被覆盖", "uncovered"),
        ([(0, 0, 100, 100)], "至少需要两宗", "a split needs two or more"),
    ],
)
def test_split_refused(grid, tmp_path, boxes, zh, en):
    client = client_as(create_app(grid), "editor1")
    parts = parts_file(tmp_path, boxes)
    refused = split(client, "T-A", parts)
    assert refused.status_code == 400
    assert zh in refused.text
    token = csrf_of(client.get("/parcel/T-A").text)
    english = client.post(
        "/parcel/T-A/split?lang=en",
        data={"csrf": token, "date": "2024-03-01", "note": "x"},
        files={"parts": (parts.name, parts.read_bytes(), "application/octet-stream")},
    )
    assert english.status_code == 400
    assert en in english.text
    assert history(grid) == []


def test_split_refuses_taken_ids_and_unread_files(grid, tmp_path):
    client = client_as(create_app(grid), "editor1")
    taken = parts_file(tmp_path, [(0, 0, 60, 100), (60, 0, 100, 100)], ids=["T-A1", "T-B"])
    refused = split(client, "T-A", taken)
    assert refused.status_code == 400
    assert "T-B 是园区中已有地块的编号" in refused.text
    odd = tmp_path / "parts.exe"
    odd.write_bytes(b"MZ")
    assert split(client, "T-A", odd).status_code == 400
    assert history(grid) == []


def test_a_change_made_elsewhere_is_read_in_the_background(app, park_file, monkeypatch):
    import datetime as dt

    from parkgis.io.store import record_park_changes
    from parkgis.model.history import StatusChange
    from parkgis.serve.state import ParkState

    state = app.state.park
    before = state.current()
    slow = ParkState._read

    def read_slowly(self, version):
        time.sleep(1.5)
        return slow(self, version)

    monkeypatch.setattr(ParkState, "_read", read_slowly)
    change = StatusChange("T-01", "acquisition_status", "acquiring", dt.date(2024, 3, 1), "cli")
    record_park_changes(park_file, [change], recorded_at="2024-03-02T09:00:00+08:00")
    started = time.monotonic()
    assert state.current() is before  # served at once, from the previous snapshot
    assert time.monotonic() - started < 1.0
    after = state.wait_for(1, timeout_s=30)
    assert after.seq == 1
    assert client_as(app, "viewer1").get("/parcel/T-01").text.count("cli") >= 1


# --------------------------------------------------------------------------- open maps

DATA = re.compile(r'<script type="application/json" id="parkgis-data-[^"]+">(.*?)</script>')


def map_page(client: TestClient) -> tuple[str, bytes, dict]:
    """The map page's ETag, its bytes and its data (``live``: the page's token and seq)."""
    response = client.get("/map.html")
    assert response.status_code == 200, response.text[:300]
    return response.headers["etag"], response.content, json.loads(DATA.search(response.text)[1])


def changes(client: TestClient, data: dict, since: int | None = None) -> dict:
    live = data["live"]
    since = live["seq"] if since is None else since
    return client.get(f"/api/changes?page={live['page']}&since={since}").json()


def test_a_status_edit_keeps_the_map_and_sends_the_parcel_in_its_new_colour(app):
    from parkgis.model.vocab import ACQUISITION

    viewer, admin = client_as(app, "viewer1"), client_as(app, "admin1")
    etag, html, data = map_page(viewer)
    _, _, admin_data = map_page(admin)
    assert data["live"]["seq"] == 0
    assert changes(viewer, data)["parcels"] == []
    assert edit(client_as(app, "editor1"), "T-03", value="leveled").status_code == 303
    assert viewer.get("/map.html", headers={"if-none-match": etag}).status_code == 304
    assert map_page(viewer)[:2] == (etag, html)  # the same page: not drawn again
    got = changes(viewer, data)
    assert (got["reload"], got["seq"]) == (False, 1)
    [parcel] = got["parcels"]
    assert (parcel["id"], parcel["cls"]) == ("T-03", "leveled")
    colours = {c["code"]: c["colour"] for c in got["legend"]["classes"]}
    assert colours["leveled"] == ACQUISITION.colour("leveled")
    assert colours.get("acquired") is None  # T-03 was the only acquired parcel
    assert dict(zip(got["labels"], parcel["cols"], strict=True))["征收状态"] == "已平整"
    assert {c["code"]: c["count"] for c in got["legend"]["classes"]}["leveled"] == 2
    assert changes(viewer, data, since=1)["parcels"] == []  # nothing after seq 1
    # owners only for those who may see them, as on the map page
    assert "王五" not in viewer.get(f"/api/changes?page={data['live']['page']}&since=0").text
    assert "王五" in json.dumps(changes(admin, admin_data), ensure_ascii=False)
    # another page, a seq it cannot have, or a page of the other role: drawn again
    for page, since in (("nope", 0), (data["live"]["page"], 5), (admin_data["live"]["page"], 0)):
        assert viewer.get(f"/api/changes?page={page}&since={since}").json()["reload"] is True
    assert client_as(app, None).get("/api/changes?page=x&since=0").status_code == 401


def test_what_an_open_map_is_sent_is_what_a_map_drawn_now_shows(tmp_path):
    """After status edits, a project, a retirement: the changes give what drawing the map gives."""
    from parkgis.check.reading import FIGURE_TABLES
    from parkgis.io.loose import load_park
    from parkgis.maps.layers import map_payload
    from parkgis.serve.live import public_park

    path = tmp_path / "zones.gpkg"
    projects = pd.DataFrame({"project_id": ["PJ-1"], "name": ["<b>新材料</b>"],
                             "company": ["{{ 7*7 }} 公司"], "stage": ["signed"]})  # fmt: skip
    park = make_park(
        ["unacquired", "unacquired", "acquired", "unacquired", "leveled"],
        names=[XSS, TEMPLATE, "普通地块", "另一块", "第五块"],
        zones=["一区", "一区", "一区", "二区", "二区"], projects=projects,
        extra={"owner_name": [OWNER, "李四", "王五", "赵六", "钱七"]}, private=("owner_name",),
    )  # fmt: skip
    create_park(park, path)
    for name, role in (("editor1", "editor"), ("viewer1", "viewer"), ("admin1", "admin")):
        add_user(path, name, PASSWORDS[name], role=role)
    app = create_app(path)
    editor = client_as(app, "editor1")
    readers = [(client_as(app, "viewer1"), False), (client_as(app, "admin1"), True)]
    pages = [map_page(client) for client, _ in readers]
    edits = [
        ("T-01", "status", {"field": "acquisition_status", "value": "acquiring"}),
        ("T-03", "project", {"project_id": "PJ-1"}),
        ("T-05", "retire", {"confirm": "1"}),
        ("T-04", "status", {"field": "acquisition_status", "value": "acquiring"}),
    ]
    for k, (pid, action, form) in enumerate(edits):
        assert post_form(editor, pid, action, **form).status_code == 303
        fresh = read_checked(load_park(path, private=True).park)
        assert fresh.blocking(FIGURE_TABLES["reserve"]) == []
        for (client, private), (etag, _, data) in zip(readers, pages, strict=True):
            assert map_page(client)[0] == etag  # the generation is kept, a retirement too
            got = changes(client, data)
            assert got["reload"] is False and got["seq"] == k + 1
            want = map_payload(public_park(fresh.measured, private), include_private=private)
            assert got["legend"]["classes"] == want["legend"]["classes"]
            assert got["legend"]["total"] == want["legend"]["total"]
            assert got["summary"] == want["summary"]
            assert (got["zones"] or data)["zones"] == want["zones"]
            p = want["parcels"]
            ids = _values(p["cols"][p["keys"]["id"]])
            shown = {c["id"]: c for c in got["parcels"]}
            assert sorted(shown) == sorted(pid for pid, _, _ in edits[: k + 1])
            for pid, parcel in shown.items():
                if pid not in ids:
                    assert parcel == {"id": pid, "retired": True}
                    continue
                i = ids.index(pid)
                assert parcel["cls"] == want["legend"]["classes"][p["cls"][i]]["code"]
                assert got["labels"] == [c["label"] for c in p["cols"]]
                assert parcel["cols"] == [_values(c)[i] for c in p["cols"]]
                linked = p["proj"][i] if p["proj"] else []
                columns = [_values(c) for c in want["projects"]["cols"]]
                assert parcel["proj"] == [[column[j] for column in columns] for j in linked]
                assert (OWNER in parcel["cols"]) == (private and pid == "T-01")
    assert [c["name"] for c in changes(*readers[0][:1], pages[0][2])["zones"]["zones"]] == ["一区"]


def _values(column: dict) -> list:
    """A map payload's popup column, one value per parcel."""
    if "values" in column:
        return column["values"]
    return [column["dict"][k] if k >= 0 else None for k in column["idx"]]


def test_a_split_merge_or_change_made_elsewhere_draws_the_map_again(grid):
    from parkgis.io.store import record_park_changes
    from parkgis.model.history import StatusChange

    app = create_app(grid)
    viewer, editor = client_as(app, "viewer1"), client_as(app, "editor1")
    etag, _, data = map_page(viewer)
    assert post_form(editor, "T-E", "retire", confirm="1").status_code == 303
    assert map_page(viewer)[0] == etag  # a retirement keeps the drawing
    assert changes(viewer, data)["parcels"] == [{"id": "T-E", "retired": True}]
    assert merge(editor, "T-A", "T-B").status_code == 303
    assert changes(viewer, data)["reload"] is True
    etag2, _, data2 = map_page(viewer)
    assert etag2 != etag and data2["live"]["seq"] == 5
    assert changes(viewer, data2)["parcels"] == []
    change = StatusChange("T-D", "acquisition_status", "acquiring", dt.date(2024, 3, 1), "cli")
    record_park_changes(grid, [change], recorded_at="2024-03-02T09:00:00+08:00")
    viewer.get("/api/version")  # the change is seen, and read in the background
    app.state.park.wait_for(6, timeout_s=30)
    assert changes(viewer, data2)["reload"] is True
    etag3, _, data3 = map_page(viewer)
    assert etag3 != etag2 and data3["live"]["seq"] == 6


# --------------------------------------------------------------------------- what is shown


def test_private_fields_only_for_admin(app):
    viewer, admin = client_as(app, "viewer1"), client_as(app, "admin1")
    for path in ("/parcel/T-01", "/search?q=T-01", "/map.html", "/figures/area.csv"):
        assert OWNER not in viewer.get(path).text, path
    assert viewer.get("/search?q=张三").text.count("/parcel/") == 0
    assert OWNER in admin.get("/parcel/T-01").text
    assert "/parcel/T-01" in admin.get("/search?q=张三").text


@pytest.mark.parametrize("path", ["/parcel/T-01", "/search?q=T-0", "/map.html", "/figures/area"])
def test_hostile_names_are_inert(app, path):
    html = client_as(app, "viewer1").get(path).text
    assert "<img src=x onerror" not in html
    if path != "/map.html":  # the map keeps names in its JSON data (tests/test_maps.py)
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_template_text_is_shown_as_written(app):
    html = client_as(app, "viewer1").get("/parcel/T-02").text
    assert TEMPLATE in html


def test_search_by_id_name_and_project(app):
    client = client_as(app, "viewer1")
    assert "/parcel/T-03" in client.get("/search?q=普通").text
    found = client.get("/search?q=t-04", headers={"accept": "application/json"}).json()
    assert [r["parcel_id"] for r in found["results"]] == ["T-04"]


def test_summary_and_problems_are_the_reading(app, park_file):
    client = client_as(app, "viewer1")
    summary = client.get("/api/summary").json()
    reading = read_checked(read_park(park_file))
    assert sum(r["count"] for r in summary["summary"]) == len(reading.measured.parcels)
    assert sum(r["mu"] for r in summary["summary"]) == pytest.approx(
        float(reading.area_mu.sum()), abs=0.05
    )
    again = client.get("/api/summary", headers={"if-none-match": f'"{summary["version"]}"'})
    assert again.status_code == 304
    assert client.get("/problems").status_code == 200


def test_version_moves_on_after_an_edit(app):
    viewer, editor = client_as(app, "viewer1"), client_as(app, "editor1")
    before = viewer.get("/api/version").json()["version"]
    assert edit(editor, "T-01").status_code == 303
    after = viewer.get("/api/version").json()
    assert after["version"] != before
    rows = {r["code"]: r["count"] for r in viewer.get("/api/summary").json()["summary"]}
    assert rows["acquiring"] == 2


@pytest.mark.parametrize("command", ["gaps", "targets", "enforce"])
def test_figures_csv_is_the_cli_csv(app, park_file, command):
    client = client_as(app, "viewer1")
    web = client.get(f"/figures/{command}.csv").content.decode("utf-8")
    result = CliRunner().invoke(cli, [command, str(park_file), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert web.lstrip("\ufeff").splitlines() == result.stdout.lstrip("\ufeff").splitlines()


@pytest.mark.parametrize("code", ["area", "reserve", "gaps", "targets", "enforce"])
def test_figures_pages_and_workbooks(app, code):
    client = client_as(app, "viewer1")
    assert client.get(f"/figures/{code}").status_code == 200
    workbook = client.get(f"/figures/{code}.xlsx")
    assert workbook.status_code == 200
    assert workbook.content[:2] == b"PK"
    english = client.get(f"/figures/{code}?lang=en").text
    assert '<html lang="en">' in english


def test_briefing_downloads(app):
    client = client_as(app, "viewer1")
    html = client.get("/brief/download?format=html&parcels=T-03")
    assert html.status_code == 200
    assert "attachment" in html.headers["content-disposition"]
    assert OWNER not in html.text


def test_briefing_offers_pdf_when_weasyprint_works(app):
    from parkgis.serve.app import _brief_formats

    client = client_as(app, "viewer1")
    page = client.get("/brief").text
    offered = [code for code, _ in _brief_formats()]
    assert ('value="pdf"' in page) == ("pdf" in offered)
    if "pdf" in offered:
        pdf = client.get("/brief/download?format=pdf&parcels=T-03")
        assert pdf.status_code == 200, pdf.text[:500]
        assert pdf.content.startswith(b"%PDF")
    assert client.get("/brief/download?format=exe").status_code == 400


@pytest.mark.parametrize(
    ("fmt", "magic"),
    [("kmz", b"PK"), ("txt", b""), ("dxf", b""), ("gpkg", b"SQLite format 3"), ("xlsx", b"PK")],
)
def test_exports_of_a_selection(app, fmt, magic):
    client = client_as(app, "viewer1")
    assert 'action="/brief/export"' in client.get("/brief").text
    response = client.get(f"/brief/export?format={fmt}&parcels=T-03,T-04")
    assert response.status_code == 200, response.text[:500]
    assert response.content.startswith(magic)
    assert f"_parcels.{fmt}" in response.headers["content-disposition"]
    assert OWNER.encode("utf-8") not in response.content
    if fmt == "gpkg":
        assert b"T-03" in response.content and b"T-01" not in response.content


def test_export_refuses_an_unknown_parcel_or_format(app):
    client = client_as(app, "viewer1")
    assert client.get("/brief/export?format=kmz&parcels=NOPE").status_code == 400
    assert client.get("/brief/export?format=exe").status_code == 400


def test_root_path_behind_a_proxy(park_file):
    app = create_app(park_file, root_path="/park")
    client = TestClient(app)
    for prefix in ("/park", ""):  # a proxy that keeps the prefix, and one that strips it
        page = client.get(f"{prefix}/login")
        assert page.status_code == 200
        assert 'action="/park/login"' in page.text
    assert sign_in(client, "viewer1", root="/park") == 303
    assert 'src="/park/map.html' in client.get("/park/").text


# --------------------------------------------------------------------------- users


def test_users_commands(tmp_path):
    park = tmp_path / "p.gpkg"
    create_park(make_park(["unacquired"]), park)
    runner = CliRunner()
    secret = "hunter2-but-longer"
    added = runner.invoke(
        cli, ["users", "add", str(park), "王工", "--role", "editor", "--password-stdin"],
        input=secret + "\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert secret not in added.output
    listed = runner.invoke(cli, ["users", "list", str(park)])
    assert "王工\teditor" in listed.output
    assert secret.encode() not in park.read_bytes()
    assert authenticate(park, "王工", secret) is not None
    changed = runner.invoke(
        cli, ["users", "passwd", str(park), "王工", "--role", "admin", "--password-stdin"],
        input="another-password\n",
    )  # fmt: skip
    assert changed.exit_code == 0, changed.output
    assert authenticate(park, "王工", secret) is None
    assert authenticate(park, "王工", "another-password").role == "admin"
    short = runner.invoke(cli, ["users", "add", str(park), "x", "--password-stdin"], input="abc\n")
    assert short.exit_code != 0
    removed = runner.invoke(cli, ["users", "remove", str(park), "王工"])
    assert removed.exit_code == 0
    assert list_users(park) == []
    # the park is still a park that every command reads
    assert len(read_park(park).parcels) == 1


def test_users_refused_in_a_park_folder(tmp_path):
    folder = tmp_path / "old"
    write_park(make_park(["unacquired"]), folder)
    result = CliRunner().invoke(
        cli, ["users", "add", str(folder), "a", "--password-stdin"], input="long-enough-1\n"
    )
    assert result.exit_code != 0
    assert "parkgis copy" in result.output


def test_serve_refuses_a_park_without_users(tmp_path):
    park = tmp_path / "p.gpkg"
    create_park(make_park(["unacquired"]), park)
    result = CliRunner().invoke(cli, ["serve", str(park)])
    assert result.exit_code != 0
    assert "users add" in result.output


def test_users_and_edits_in_a_postgis_store(postgis_db, tmp_path):
    """Users kept in a store's schema; an editor's change recorded through the store."""
    from parkgis.serve.users import find_user, remove_user, set_password

    park = tmp_path / "tiny.gpkg"
    create_park(
        make_park(["unacquired", "acquiring"], extra={"owner_name": [OWNER, "李四"]},
                  private=("owner_name",)),
        park,
    )  # fmt: skip
    url = f"{postgis_db}?park=tiny"
    for args in (["db", "init", "--store", postgis_db], ["db", "push", str(park), "--store", url]):
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    assert list_users(url) == []
    add_user(url, "editor1", PASSWORDS["editor1"], role="editor")
    add_user(url, "viewer1", PASSWORDS["viewer1"], role="viewer", private=True)
    assert [(u.name, u.role, u.private) for u in list_users(url)] == [
        ("editor1", "editor", False), ("viewer1", "viewer", True),
    ]  # fmt: skip
    assert authenticate(url, "editor1", PASSWORDS["editor1"]).role == "editor"
    assert authenticate(url, "editor1", "wrong-password") is None
    assert authenticate(url, "nobody", "wrong-password") is None
    with pytest.raises(Exception, match="exists already"):
        add_user(url, "editor1", "another-password", role="viewer")
    set_password(url, "viewer1", "a-new-password", role="admin")
    assert authenticate(url, "viewer1", PASSWORDS["viewer1"]) is None
    assert authenticate(url, "viewer1", "a-new-password").role == "admin"
    import psycopg

    with psycopg.connect(postgis_db) as conn:
        stored = conn.execute("SELECT password_hash FROM park_tiny.users").fetchall()
    assert all(h[0].startswith("$argon2id$") for h in stored)
    assert not any("a-new-password" in h[0] for h in stored)

    app = create_app(url)
    client = client_as(app, "editor1")
    pid = read_park(park).parcels["parcel_id"].iloc[0]
    response = edit(client, pid)
    assert response.status_code == 303, response.text
    served = app.state.park.latest()
    assert served.seq == 1
    assert served.park.parcels.set_index("parcel_id").loc[pid, "acquisition_status"] == "acquiring"
    assert "editor1" in client.get(response.headers["location"]).text
    remove_user(url, "editor1")
    assert find_user(url, "editor1") is None
    assert client.get("/", follow_redirects=False).status_code == 303  # signed out


# --------------------------------------------------------------------------- a real server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_server(app) -> Iterator[str]:
    """Run ``app`` on uvicorn on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="off")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
