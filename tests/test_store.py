import os

import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from parkgis.errors import CRSMissingError, InputError
from parkgis.io.store import atomic_path, read_manifest, read_park, write_park


def test_round_trip(tmp_path, small_park):
    folder = write_park(small_park, tmp_path / "tiny")
    assert sorted(p.name for p in folder.iterdir()) == [
        "allocations.csv",
        "park.gpkg",
        "park.toml",
        "projects.csv",
        "targets.csv",
    ]
    back = read_park(folder)
    assert back.manifest.name == "tiny" and back.manifest.title == "测试园区"
    assert back.manifest.private_fields == ("owner_name",)
    expected = small_park.parcels
    got = back.parcels[expected.columns]
    assert_geodataframe_equal(got, expected, check_dtype=False, check_less_precise=True)
    assert back.projects["land_demand_mu"].tolist() == [15.0]
    assert back.projects["parcel_ids"].tolist() == ["C"]
    assert back.value_issues == ()


def test_no_temporary_files_left(tmp_path, small_park):
    folder = write_park(small_park, tmp_path / "tiny")
    write_park(small_park, folder)  # overwrite in place
    assert not [p for p in os.listdir(folder) if p.startswith(".")]


def test_atomic_path_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "projects.csv"
    target.write_text("old", "utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half-writ", "utf-8")
        raise RuntimeError("killed")
    assert target.read_text("utf-8") == "old"
    assert os.listdir(tmp_path) == ["projects.csv"]


def test_unknown_values_are_kept_and_reported(tmp_path, small_park):
    folder = write_park(small_park, tmp_path / "tiny")
    projects = pd.read_csv(folder / "projects.csv", dtype=str, encoding="utf-8-sig")
    projects.loc[0, "stage"] = "快建完了"
    projects.to_csv(folder / "projects.csv", index=False, encoding="utf-8-sig")
    park = read_park(folder)
    assert park.projects.loc[0, "stage"] == "快建完了"
    [issue] = park.value_issues
    assert (issue.table, issue.field, issue.key) == ("projects", "stage", "P1")


def test_not_a_park(tmp_path):
    with pytest.raises(InputError, match="parkgis import"):
        read_park(tmp_path)
    (tmp_path / "park.toml").write_text("name = [", "utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        read_manifest(tmp_path)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_layer_without_crs_names_the_manifest_key(tmp_path, small_park):
    import pyogrio

    folder = write_park(small_park, tmp_path / "tiny")
    frame = pyogrio.read_dataframe(folder / "park.gpkg", layer="parcels").set_crs(
        None, allow_override=True
    )
    (folder / "park.gpkg").unlink()
    pyogrio.write_dataframe(frame, folder / "park.gpkg", layer="parcels", driver="GPKG")
    with pytest.raises(CRSMissingError, match="crs = "):
        read_park(folder)
