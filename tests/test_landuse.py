"""The land-use check against the third national land survey (三调), exact.

The 三调 data is a FileGDB written here by GDAL's OpenFileGDB driver, with
layers ``DLTB`` (DLBM, DLMC, TBMJ), ``YJJBNTTB`` and ``STBHHX``. Everything
lies on the central meridian of EPSG:4544 (x = 500 000), where planar and
ellipsoidal areas agree to 1e-8 within 300 m: a 50 m x 100 m patch is 7.5 mu.
The table is also checked against an independent overlay
(``geopandas.overlay``, then areas in an equal-area projection).
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from parkgis.cli import cli
from parkgis.errors import DataError
from parkgis.io.importer import import_sources
from parkgis.io.loose import split_layer
from parkgis.io.vector import read_layer
from parkgis.land.landuse import landuse_class, landuse_figures, landuse_table
from parkgis.measure.area import equal_area_crs
from parkgis.measure.units import SQM_PER_MU

X, Y = 500_000.0, 3_580_000.0
GROUP_OF = {"0101": "cultivated", "0201": "garden", "0301": "forest", "0601": "construction",
            "1001": "construction"}  # fmt: skip


@pytest.fixture
def parcels() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "parcel_id": ["P1", "P2"],
            "name": ["中纺油脂", "傅家店"],
            "acquisition_status": ["unacquired", "acquiring"],
        },
        geometry=[box(X, Y, X + 200, Y + 100), box(X, Y + 200, X + 100, Y + 300)],
        crs=4544,
    )


@pytest.fixture
def dltb() -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "DLBM": ["0101", "0201", "0301", "0601", "1001"],
            "DLMC": ["水田", "果园", "乔木林地", "工业用地", "铁路用地"],
        },
        geometry=[
            box(X, Y, X + 50, Y + 100),
            box(X + 50, Y, X + 100, Y + 100),
            box(X + 100, Y, X + 150, Y + 100),
            box(X + 150, Y, X + 250, Y + 100),  # half of it outside P1
            box(X, Y + 200, X + 100, Y + 250),  # P2's north half is not covered
        ],
        crs=4544,
    )
    return frame.assign(TBMJ=frame.area)


@pytest.fixture
def gdb(tmp_path, dltb):
    path = tmp_path / "三调.gdb"
    pyogrio.write_dataframe(dltb, path, layer="DLTB", driver="OpenFileGDB")
    farmland = gpd.GeoDataFrame({"JBNTBH": ["J01"]}, geometry=[box(X, Y, X + 25, Y + 100)],
                                crs=4544)  # fmt: skip
    pyogrio.write_dataframe(farmland, path, layer="YJJBNTTB", driver="OpenFileGDB")
    redline = gpd.GeoDataFrame({"HXMC": ["红线"]}, geometry=[box(X, Y + 280, X + 100, Y + 300)],
                               crs=4544)  # fmt: skip
    pyogrio.write_dataframe(redline, path, layer="STBHHX", driver="OpenFileGDB")
    return path


def test_filegdb_layers_read_exactly(gdb, dltb):
    read = read_layer(f"{gdb}", layer="DLTB")
    frame = read.frame
    assert frame["DLBM"].tolist() == dltb["DLBM"].tolist()
    assert frame["DLMC"].tolist() == dltb["DLMC"].tolist()
    assert frame["TBMJ"].tolist() == pytest.approx([5000.0, 5000.0, 5000.0, 10000.0, 5000.0])
    assert frame.crs.to_epsg() == 4544
    assert read_layer(gdb, layer="YJJBNTTB").frame["JBNTBH"].tolist() == ["J01"]
    assert split_layer(f"{gdb}:DLTB") == (gdb, "DLTB")  # a FileGDB is a folder


def test_landuse_table_exact_by_hand(parcels, dltb, gdb):
    farmland = read_layer(gdb, layer="YJJBNTTB").frame
    redline = read_layer(gdb, layer="STBHHX").frame
    table = landuse_table(parcels, read_layer(gdb, layer="DLTB").frame,
                          farmland=farmland, redline=redline)  # fmt: skip
    p1, p2 = table.iloc[0], table.iloc[1]
    close = {"rel": 1e-8, "abs": 1e-9}
    assert p1.gross_mu == pytest.approx(30.0, **close)
    for column, mu in {"cultivated_mu": 7.5, "garden_mu": 7.5, "forest_mu": 7.5,
                       "construction_mu": 7.5, "grassland_mu": 0, "water_mu": 0,
                       "uncovered_mu": 0, "agricultural_mu": 22.5,
                       "farmland_mu": 3.75, "redline_mu": 0}.items():  # fmt: skip
        assert p1[column] == pytest.approx(mu, **close), column
    assert p2.construction_mu == pytest.approx(7.5, **close)  # 1001 railway
    assert p2.uncovered_mu == pytest.approx(7.5, **close)
    assert p2.redline_mu == pytest.approx(3.0, **close)
    assert p2.farmland_mu == 0
    groups = [f"{g}_mu" for g in ("cultivated", "garden", "forest", "grassland", "construction",
                                  "water", "other")]  # fmt: skip
    total = table[[*groups, "unclassified_mu", "uncovered_mu"]].sum(axis=1)
    # Pieces add vertices along the edges, which the equal-area projection bends by 1e-10.
    assert total.tolist() == pytest.approx(table["gross_mu"].tolist(), rel=1e-9)


def test_landuse_table_matches_an_independent_overlay(parcels, dltb):
    wgs = parcels.to_crs(4490)  # parcels and survey in different CRSs
    table = landuse_table(wgs, dltb)
    pieces = gpd.overlay(parcels, dltb, how="intersection", keep_geom_type=True)
    pieces["mu"] = pieces.to_crs(equal_area_crs(wgs.geometry)).area / SQM_PER_MU
    pieces["group"] = pieces["DLBM"].map(GROUP_OF)
    expected = pieces.pivot_table(index="parcel_id", columns="group", values="mu", aggfunc="sum")
    expected = expected.reindex(["P1", "P2"]).fillna(0.0)
    for group in expected.columns:
        assert table[f"{group}_mu"].tolist() == pytest.approx(
            expected[group].tolist(), rel=1e-6, abs=1e-9
        )


def test_unknown_dlbm_is_counted_apart_and_listed(parcels, dltb):
    odd = dltb.assign(DLBM=["0101", "0201", "9901", None, "1001"])
    figures = landuse_figures(parcels, odd)
    p1 = figures["parcels"][0]
    assert p1["unclassified_mu"] == pytest.approx(15.0, rel=1e-8)
    assert [p["patch"] for p in figures["problems"]] == [3, 4]
    assert "'9901' is not a GB/T 21010 class" in figures["problems"][0]["message"]
    by = pd.DataFrame(figures["by_dlbm"])
    assert by["area_mu"].sum() == pytest.approx(p1["gross_mu"] + 7.5, rel=1e-8)


def test_overlapping_patches_are_refused(parcels, dltb):
    doubled = pd.concat([dltb, dltb.iloc[[0]]], ignore_index=True)
    with pytest.raises(DataError, match="overlap under parcel P1"):
        landuse_table(parcels, doubled)


@pytest.mark.parametrize(
    ("code", "group", "category"),
    [("0101", "cultivated", "agricultural"), ("0201K", "garden", "agricultural"),
     ("0404", "grassland", "unused"), ("05H1", "construction", "construction"),
     ("1006", "other", "agricultural"), ("1109", "construction", "construction"),
     ("1104", "water", "agricultural"), ("1101", "water", "unused"),
     ("1201", "construction", "construction"), ("1203", "other", "agricultural"),
     ("1206", "other", "unused")],
)  # fmt: skip
def test_classes_follow_gbt_21010(code, group, category):
    assert landuse_class(code) == (group, category)


def test_landuse_command_reads_the_gdb_and_names_the_farmland(parcels, gdb, tmp_path):
    parcels.to_file(tmp_path / "parcels.gpkg", layer="parcels")
    result = CliRunner().invoke(
        cli,
        ["--lang", "en", "landuse", str(tmp_path / "parcels.gpkg"), "--landuse", str(gdb),
         "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert [p["parcel_id"] for p in figures["farmland_parcels"]] == ["P1"]
    assert figures["totals"]["farmland_mu"] == pytest.approx(3.75, rel=1e-8)
    assert figures["totals"]["redline_mu"] == pytest.approx(3.0, rel=1e-8)
    assert "layer 'YJJBNTTB'" in result.stderr


def test_landuse_layers_kept_in_the_park(parcels, dltb, tmp_path):
    parcels.to_file(tmp_path / "parcels.gpkg", layer="parcels")
    import_sources([tmp_path / "parcels.gpkg"], tmp_path / "park.gpkg")
    pyogrio.write_dataframe(dltb, tmp_path / "park.gpkg", layer="DLTB")
    result = CliRunner().invoke(
        cli, ["--lang", "en", "landuse", str(tmp_path / "park.gpkg"), "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert "kept in the park" in result.stderr
    assert "Cultivated (mu)" in result.stdout


def test_brief_gets_the_landuse_table_and_the_farmland_risk(parcels, gdb, tmp_path):
    from parkgis.brief.content import brief_content
    from parkgis.brief.layout import briefing_blocks
    from parkgis.model.park import Manifest, Park

    park = Park(manifest=Manifest(name="t"), parcels=parcels)
    layers = {
        "landuse": read_layer(gdb, layer="DLTB").frame,
        "farmland": read_layer(gdb, layer="YJJBNTTB").frame,
    }
    b = brief_content(park, today=pd.Timestamp("2024-06-30").date(), lang="en", landuse=layers)
    risks = [r for r in b.risks if r.kind == "permanent_farmland"]
    assert [r.parcel_ids for r in risks] == [("P1",)]
    assert risks[0].label == "Takes permanent basic farmland" and "3.75 mu" in risks[0].detail
    table = next(x for x in briefing_blocks(b) if getattr(x, "key", "") == "landuse")
    assert table.rows[0][:3] == ("P1", "30.00", "7.50")
    assert table.rows[-1][0] == "Total" and table.rows[-1][-1] == "3.75"
    plain = brief_content(park, today=pd.Timestamp("2024-06-30").date(), lang="en")
    assert plain.landuse is None
    assert not any(getattr(x, "key", "") == "landuse" for x in briefing_blocks(plain))


def test_landuse_needs_no_status_but_refuses_duplicate_ids(parcels, gdb, tmp_path):
    """A survey company's drawing has no acquisition status: the check does not need one."""
    parcels.drop(columns="acquisition_status").to_file(tmp_path / "drawn.gpkg", layer="parcels")
    args = ["--lang", "en", "landuse", str(tmp_path / "drawn.gpkg"), "--landuse", f"{gdb}:DLTB"]
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["totals"]["cultivated_mu"] == pytest.approx(7.5, rel=1e-8)
    parcels.assign(parcel_id=["P1", "P1"]).to_file(tmp_path / "twice.gpkg", layer="parcels")
    args[3] = str(tmp_path / "twice.gpkg")
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 1 and "duplicate_parcel_id" in refused.output
