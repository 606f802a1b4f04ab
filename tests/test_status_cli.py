"""``parkgis status``, ``history``, ``copy``, ``import --update`` and ``--as-of`` as run.

Each test works on a copy of the bundled Yuanba park in tmp_path. Its reserve
parcel YB-R-01 (xx山上台阶地一号, 150 mu, unacquired, step survey) moves along
the chain; ``--as-of`` a date before a change must show the old status in
``area``, ``reserve`` and the map.
"""

import datetime as dt
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from parkgis.cli import cli
from parkgis.io.store import bundled_park_path, read_park

BY = ("--by", "王工")


def run(*args: str, ok: tuple[int, ...] = (0,)):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code in ok, result.output
    return result


@pytest.fixture
def park(tmp_path):
    """A copy of the bundled park, made the way the README says."""
    path = tmp_path / "yuanba.gpkg"
    run("copy", "-o", str(path))
    return path


@pytest.fixture
def moved(park):
    """YB-R-01: acquiring on 2013-07-01; acquired, step survey → approved, on 2013-09-15."""
    run("status", "set", "YB-R-01", "征收中", "--park", str(park), "--date", "2013-07-01", *BY,
        "--evidence", "元府征〔2013〕12号")  # fmt: skip
    run("status", "set", "YB-R-01", "acquired", "--step", "approved", "--park", str(park),
        "--date", "2013-09-15", *BY, "--note", "征收公告已发布", "--force")  # fmt: skip
    return park


def status_in_area(park, *extra):
    rows = json.loads(run("area", str(park), "--format", "json", *extra).output)
    return {r["parcel_id"]: r["acquisition_status"] for r in rows}["YB-R-01"]


def test_history_lists_the_events_as_json(moved):
    events = json.loads(run("history", "YB-R-01", "--park", str(moved), "--format", "json").output)
    assert [(e["field"], e["from"], e["to"], e["date"], e["by"], e["forced"]) for e in events] == [
        ("acquisition_status", "unacquired", "acquiring", "2013-07-01", "王工", False),
        ("acquisition_status", "acquiring", "acquired", "2013-09-15", "王工", False),
        ("acquisition_step", "survey", "approved", "2013-09-15", "王工", True),  # skips 2 steps
    ]
    assert events[0]["evidence"] == "元府征〔2013〕12号" and events[1]["note"] == "征收公告已发布"
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert events[0]["recorded_at"][:2] == "20"  # the clock of the machine that recorded it
    text = run("--lang", "en", "history", "YB-R-01", "--park", str(moved)).output
    assert "Unacquired" in text and "Acquired" in text and "元府征〔2013〕12号" in text
    early = run("history", "--park", str(moved), "--as-of", "2013-08-01", "--format", "json")
    assert [e["to"] for e in json.loads(early.output)] == ["acquiring"]
    assert (
        json.loads(run("history", "YB-E-01", "--park", str(moved), "--format", "json").output) == []
    )
    assert "no parcel or project" in run("history", "NOPE", "--park", str(moved), ok=(1,)).output


def test_the_tables_follow_and_as_of_shows_the_old_status(moved):
    assert status_in_area(moved) == "acquired"
    assert status_in_area(moved, "--as-of", "2013-06-30") == "unacquired"
    assert status_in_area(moved, "--as-of", "2013-07-01") == "acquiring"
    assert status_in_area(moved, "--as-of", "2013-09-14") == "acquiring"
    shown = json.loads(
        run("status", "show", "YB-R-01", "--park", str(moved), "--today", "2013-10-15",
            "--format", "json").output
    )  # fmt: skip
    assert shown == [
        {
            "parcel_id": "YB-R-01",
            "name": "xx山上台阶地一号",
            "acquisition_status": "acquired",
            "acquisition_step": "approved",
            "title_status": None,
            "since": "2013-09-15",
            "days_in_stage": 30,
        }
    ]


def test_reserve_as_of_a_date_before_the_change(moved):
    def figures(*extra):
        return json.loads(run("reserve", str(moved), "--format", "json", *extra).output)

    before, during, after = (
        figures("--as-of", "2013-06-30"),
        figures("--as-of", "2013-08-01"),
        figures("--as-of", "2013-10-01"),
    )
    assert (before["as_of"], during["as_of"]) == ("2013-06-30", "2013-08-01")  # the timeline too
    net = {p["parcel_id"]: p for p in during["supply_parcels"]}["YB-R-01"]["supply_mu"]
    assert net > 100  # 150 mu gross, less the corridors crossing it
    assert before["pipeline_mu"] == pytest.approx(0.0)
    assert during["pipeline_mu"] == pytest.approx(net)
    assert during["reserve_mu"] == pytest.approx(before["reserve_mu"] - net)
    assert after["available_mu"] == pytest.approx(before["available_mu"] + net)


def map_status(html: str, parcel_id: str) -> str:
    """The status label the map's data gives a parcel (columns with labels, as --lang en)."""
    decoder = json.JSONDecoder()

    def column(label):
        at = html.index(f'{{"label":"{label}"')
        return decoder.raw_decode(html, at)[0]

    ids = column("Parcel ID")["values"]
    status = column("Acquisition status")
    return status["dict"][status["idx"][ids.index(parcel_id)]]


def test_the_map_as_of_a_date_shows_the_old_status(moved, tmp_path):
    now, then = tmp_path / "now.html", tmp_path / "then.html"
    run("--lang", "en", "map", str(moved), "-o", str(now))
    run("--lang", "en", "map", str(moved), "--as-of", "2013-06-30", "-o", str(then))
    assert map_status(now.read_text("utf-8"), "YB-R-01") == "Acquired"
    assert map_status(then.read_text("utf-8"), "YB-R-01") == "Unacquired"


def test_refusals_name_the_way_out(park, tmp_path):
    result = run("status", "set", "YB-R-01", "acquired", "--park", str(park), "--date",
                 "2013-07-01", *BY, ok=(1,))  # fmt: skip
    assert "skips acquiring" in result.output and "--force" in result.output
    result = run("status", "set", "YB-R-01", "acquiring", "--date", "2013-07-01", *BY, ok=(2,))
    assert "parkgis copy" in result.output  # no park named: the bundled sample is not changed
    result = run("status", "set", "YB-R-01", "acquiring", "--park", str(bundled_park_path()),
                 "--date", "2013-07-01", *BY, ok=(2,))  # fmt: skip
    assert "随附的示例园区" in result.output and "parkgis copy" in result.output
    result = run("status", "set", "YB-R-01", "建好了", "--park", str(park), "--date",
                 "2013-07-01", *BY, ok=(2,))  # fmt: skip
    assert "neither an acquisition status nor a project stage" in result.output
    assert len(read_park(park).events) == 0  # nothing was recorded


def test_project_stage_and_title(park):
    # P16 壮牛饲料: signed, title being applied for.
    run("status", "set", "P16", "场平", "--park", str(park), "--date", "2013-07-01", *BY)
    run("status", "set", "P16", "--title", "已办证", "--park", str(park), "--date",
        "2013-07-02", *BY)  # fmt: skip
    projects = read_park(park).projects.set_index("project_id")
    assert projects.loc["P16", "stage"] == "site_prep"
    assert projects.loc["P16", "title_status"] == "issued"
    events = json.loads(run("history", "P16", "--park", str(park), "--format", "json").output)
    assert [(e["entity"], e["field"], e["from"], e["to"]) for e in events] == [
        ("project", "stage", "signed", "site_prep"),
        ("project", "title_status", "applying", "issued"),
    ]
    as_of = read_park(park, as_of=dt.date(2013, 7, 1)).projects
    assert as_of.set_index("project_id").loc["P16", "title_status"] == "applying"


@pytest.mark.filterwarnings("ignore::parkgis.brief.figures.CJKFontWarning")
def test_brief_since_a_date_reads_the_log(moved, tmp_path):
    out = tmp_path / "brief.md"
    run("brief", str(moved), "--zone", "xx山上台阶地", "--since", "2013-06-30", "--today",
        "2013-10-01", "-o", str(out), "--font", "none")  # fmt: skip
    md = out.read_text("utf-8")
    changes = md[md.index("地块状态变化") :]
    rows = [line for line in changes.splitlines() if line.startswith("| YB-")]
    assert rows[:2] == [
        "| YB-R-01 | xx山上台阶地一号 | 状态变化 | 未征收 | 已征收 | 2013-09-15 |",
        "| YB-R-01 | xx山上台阶地一号 | 环节变化 | 现状调查 | 已批准 | 2013-09-15 |",
    ]


def test_import_update_records_the_differences_as_events(tmp_path, three_parcels):
    first, newer = tmp_path / "v1.geojson", tmp_path / "v2.geojson"
    three_parcels.to_crs(4490).to_file(first)
    changed = three_parcels.assign(acquisition_status=["leveled", "acquiring", "supplied"])
    changed.to_crs(4490).to_file(newer)
    park = tmp_path / "tiny.gpkg"
    run("import", str(first), "-o", str(park))
    result = run("import", str(newer), "-o", str(park), ok=(2,))
    assert "--update" in result.output
    result = run("import", str(newer), "-o", str(park), "--update", "--date", "2024-06-30",
                 *BY, "--note", "6月台账")  # fmt: skip
    assert "A acquisition_status: acquired → leveled" in result.output
    events = json.loads(run("history", "--park", str(park), "--format", "json").output)
    assert [(e["entity_id"], e["from"], e["to"], e["date"], e["note"]) for e in events] == [
        ("A", "acquired", "leveled", "2024-06-30", "6月台账"),
        ("B", "unacquired", "acquiring", "2024-06-30", "6月台账"),
    ]
    rows = json.loads(run("area", str(park), "--as-of", "2024-06-29", "--format", "json").output)
    assert [r["acquisition_status"] for r in rows] == ["acquired", "unacquired", "supplied"]
    again = run("import", str(first), "-o", str(park), "--update", "--date", "2024-06-01", *BY,
                ok=(1,))  # fmt: skip
    assert "last changed on 2024-06-30" in again.output  # the past is not rewritten


def test_copy_as_of_keeps_the_log_up_to_the_date(moved, tmp_path):
    old = tmp_path / "old.gpkg"
    run("copy", str(moved), "--as-of", "2013-08-01", "-o", str(old))
    park = read_park(old)
    assert park.events["to"].tolist() == ["acquiring"]
    status = park.parcels.set_index("parcel_id")["acquisition_status"]
    assert status["YB-R-01"] == "acquiring"
    pd.testing.assert_frame_equal(park.targets, read_park(moved).targets)
    assert "already a park" in run("--lang", "en", "copy", "-o", str(old), ok=(2,)).output


def test_a_change_dated_in_the_future_is_refused(park, tmp_path, three_parcels):
    today = dt.date.today().isoformat()
    result = run("--lang", "en", "status", "set", "YB-R-01", "征收中", "--park", str(park),
                 "--date", "2099-01-01", *BY, ok=(1,))  # fmt: skip
    assert "is dated 2099-01-01, after today" in result.output
    assert f"({today})" in result.output and "--date" in result.output
    assert len(read_park(park).events) == 0  # nothing was recorded
    zh = run("status", "set", "YB-R-01", "征收中", "--park", str(park), "--date", "2099-01-01",
             *BY, ok=(1,))  # fmt: skip
    assert f"的日期为 2099-01-01，晚于今天（{today}）" in zh.output
    # The same for a newer ledger imported with --update.
    first, newer = tmp_path / "v1.geojson", tmp_path / "v2.geojson"
    three_parcels.to_crs(4490).to_file(first)
    three_parcels.assign(acquisition_status="supplied").to_crs(4490).to_file(newer)
    tiny = tmp_path / "tiny.gpkg"
    run("import", str(first), "-o", str(tiny))
    result = run("--lang", "en", "import", str(newer), "-o", str(tiny), "--update", "--date",
                 "2099-01-01", *BY, ok=(1,))  # fmt: skip
    assert f"the update of the park is dated 2099-01-01, after today ({today})" in result.output
    assert len(read_park(tiny).events) == 0


def test_reserve_as_of_leaves_out_projects_signed_later():
    # P21 佳龙工艺品 40, P22 佳南木制品 60, P23 清洁能源汽车改装 80 were signed on 2013-06-28
    # and hold no land; P24 标准化厂房 (10, no signing date) is the only demand left on 1 January.
    def figures(*extra):
        return json.loads(run("reserve", "--format", "json", *extra).output)

    early, late = figures("--as-of", "2013-01-01"), figures("--as-of", "2013-06-30")
    assert early["demand_mu"] == 10.0
    assert [(p["project_id"], p["need_mu"]) for p in early["projects_waiting"]] == [("P24", 10.0)]
    assert [
        (p["project_id"], p["stage"], p["reason"], p["need_mu"])
        for p in early["projects_excluded"]
        if p["reason"] == "not_yet_signed"
    ] == [("P21", None, "not_yet_signed", 40.0), ("P22", None, "not_yet_signed", 60.0),
          ("P23", None, "not_yet_signed", 80.0)]  # fmt: skip
    assert late["demand_mu"] == 190.0
    assert not [p for p in late["projects_excluded"] if p["reason"] == "not_yet_signed"]


def test_import_update_retires_a_parcel_and_keeps_the_old_boundary(tmp_path, three_parcels):
    """A newer ledger lacks C and moves B's boundary: both are events, nothing is lost."""
    from shapely import affinity

    from parkgis.measure.area import gross_area_mu

    first, newer = tmp_path / "v1.gpkg", tmp_path / "v2.gpkg"
    three_parcels.to_file(first, layer="parcels")
    moved_b = three_parcels.copy()
    moved_b.loc[1, "geometry"] = affinity.scale(
        moved_b.geometry.iloc[1], xfact=1.5, origin=(*moved_b.geometry.iloc[1].bounds[:2], 0)
    )
    moved_b.loc[1, "name"] = "乙地块(扩)"
    moved_b.iloc[:2].to_file(newer, layer="parcels")
    park = tmp_path / "park.gpkg"
    run("import", str(first), "-o", str(park))
    before = read_park(park)
    result = run("import", str(newer), "-o", str(park), "--update", "--date", "2024-06-30",
                 *BY, "--note", "6月台账")  # fmt: skip
    assert "C retired" in result.output and "B geometry: 1 → 2" in result.output
    now = read_park(park)
    assert now.parcels["parcel_id"].tolist() == ["A", "B"]  # C is out of today's park
    assert [r for r in now.retired["parcel_id"]] == ["C"]  # ... and kept in the file
    then = read_park(park, as_of=dt.date(2024, 6, 29))
    assert then.parcels["parcel_id"].tolist() == ["A", "B", "C"]
    area = dict(zip(then.parcels["parcel_id"], gross_area_mu(then.parcels), strict=True))
    was = dict(zip(before.parcels["parcel_id"], gross_area_mu(before.parcels), strict=True))
    assert area == was  # the old boundary, exactly
    assert then.parcels.set_index("parcel_id").loc["B", "name"] == before.parcels.set_index(
        "parcel_id").loc["B", "name"]  # fmt: skip
    assert gross_area_mu(now.parcels).iloc[1] > was["B"]
    rows = json.loads(run("area", str(park), "--as-of", "2024-06-29", "--format", "json").output)
    assert [r["parcel_id"] for r in rows] == ["A", "B", "C"]
    events = json.loads(run("history", "--park", str(park), "--format", "json").output)
    got = [(e["entity_id"], e["field"], e["from"], e["to"], e["date"], e["by"]) for e in events]
    assert got == [
        ("B", "name", before.parcels.set_index("parcel_id").loc["B", "name"], "乙地块(扩)",
         "2024-06-30", "王工"),
        ("B", "geometry", "1", "2", "2024-06-30", "王工"),
        ("C", "retired", None, "true", "2024-06-30", "王工"),
    ]  # fmt: skip
    assert events[2]["note"] == "not in the new ledger; 6月台账"
    for entity_id in ("B", "C"):
        shown = run("history", entity_id, "--park", str(park), "--format", "json").output
        shown = json.loads(shown)
        assert shown and all(e["entity_id"] == entity_id for e in shown)
    # C comes back in a later ledger: restored, not a new parcel.
    run("import", str(first), "-o", str(park), "--update", "--date", "2024-07-31", *BY)
    back = read_park(park)
    assert back.parcels["parcel_id"].tolist() == ["A", "B", "C"] and back.retired is None
    assert back.events["field"].tolist()[-3:] == ["name", "geometry", "retired"]
    assert back.events["to"].tolist()[-1] == "false"
    assert len(back.versions) == 2  # B's first and second boundaries
    mid = read_park(park, as_of=dt.date(2024, 7, 1))
    assert mid.parcels["parcel_id"].tolist() == ["A", "B"]


def test_a_park_folder_is_read_but_not_changed(tmp_path, small_park):
    from parkgis.io.store import write_park

    folder = write_park(small_park, tmp_path / "old")  # the form of earlier versions
    assert run("area", str(folder), "--format", "json").output
    result = run("status", "set", "A", "acquiring", "--park", str(folder), "--date",
                 "2013-07-01", *BY, "--force", ok=(1, 2))  # fmt: skip
    assert f"parkgis copy {folder} -o {folder}.gpkg" in result.output.replace("\n", "")
    run("copy", str(folder), "-o", str(tmp_path / "old.gpkg"))
    converted = read_park(tmp_path / "old.gpkg", private=True)
    assert converted.manifest == read_park(folder).manifest
    assert converted.parcels["owner_name"].tolist() == read_park(folder).parcels[
        "owner_name"].tolist()  # fmt: skip
    assert "owner_name" not in read_park(tmp_path / "old.gpkg").parcels.columns
    source = tmp_path / "x.gpkg"
    small_park.parcels.to_file(source, layer="parcels")
    result = run("import", str(source), "-o", str(tmp_path / "new"), ok=(1, 2))
    assert "园区是一个 GeoPackage 文件" in result.output and "new.gpkg" in result.output
