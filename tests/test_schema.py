import pandas as pd
import pytest

from parkgis.model.schema import TABLES, field_label, parse_date


def test_office_headers_map_to_fields():
    mapping, decisions = TABLES["parcels"].match_columns(
        ["宗地号", "名称", "面积（亩）", "征收状态", "geometry", "备注"]
    )
    assert mapping == {
        "宗地号": "parcel_id",
        "名称": "name",
        "面积（亩）": "declared_area_mu",
        "征收状态": "acquisition_status",
        "备注": "notes",
    }
    assert "column '宗地号' → parcel_id" in decisions


def test_truncated_shapefile_names():
    mapping, _ = TABLES["parcels"].match_columns(["DKBH", "decl_mu", "acq_stat"])
    assert mapping == {
        "DKBH": "parcel_id",
        "decl_mu": "declared_area_mu",
        "acq_stat": "acquisition_status",
    }


def test_field_override_wins_and_is_checked():
    mapping, decisions = TABLES["parcels"].match_columns(
        ["状态", "现状"], overrides={"acquisition_status": "现状"}
    )
    assert mapping == {"现状": "acquisition_status"}
    assert "given with --field" in decisions[0]
    with pytest.raises(KeyError, match="no column '无此列'"):
        TABLES["parcels"].match_columns(["状态"], overrides={"acquisition_status": "无此列"})
    with pytest.raises(KeyError, match="has no field 'colour'"):
        TABLES["parcels"].match_columns(["状态"], overrides={"colour": "状态"})


def test_normalise_reports_what_it_cannot_read():
    frame = pd.DataFrame(
        {
            "parcel_id": [1, 2.0, "P3"],
            "acquisition_status": ["已征收", "征收", "储备"],
            "declared_area_mu": ["约30亩", 20, "三十亩"],
        }
    )
    out, issues = TABLES["parcels"].normalise(frame)
    assert out["parcel_id"].tolist() == ["1", "2", "P3"]
    assert out["acquisition_status"].tolist() == ["acquired", "征收", "unacquired"]
    assert out["declared_area_mu"].tolist() == [30.0, 20.0, "三十亩"]  # kept as written
    assert [(i.field, i.row, i.key, i.value) for i in issues] == [
        ("acquisition_status", 2, "2", "征收"),
        ("declared_area_mu", 3, "P3", "三十亩"),
    ]
    assert frame["acquisition_status"].tolist()[0] == "已征收"  # input untouched


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2013-05-30", "2013-05-30"),
        ("2013年5月30日", "2013-05-30"),
        ("2013.5.30", "2013-05-30"),
        ("2013/05/30", "2013-05-30"),
        ("2014年3月", "2014-03-01"),
    ],
)
def test_dates(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize("text", ["下半年", "2013-13-01", "30/05/2013"])
def test_bad_dates(text):
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_date(text)


def test_labels():
    assert field_label("parcel_id") == "地块编号"
    assert field_label("area_mu", "en") == "Area (mu)"
    assert field_label("not_a_field") == "not_a_field"
