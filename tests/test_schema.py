import datetime as dt

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
    assert [(i.field, i.row, i.key, i.value, i.severity, i.code) for i in issues] == [
        ("acquisition_status", 2, "2", "征收", "error", None),
        ("declared_area_mu", 1, "1", "约30亩", "warning", "approximate_value"),  # read, flagged
        ("declared_area_mu", 3, "P3", "三十亩", "error", None),
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


# -- declared areas, numbers with units, approximate values, Excel serial dates ----------


@pytest.mark.parametrize(
    "header", ["申报面积", "申报面积(亩)", "申报面积（亩）", "批准面积", "批准面积(亩)", "出让面积"]
)
def test_declared_area_headers_map(header):
    mapping, _ = TABLES["parcels"].match_columns(["宗地号", header, "状态"])
    assert mapping[header] == "declared_area_mu"


def test_declared_area_wins_over_a_plain_area_column():
    mapping, _ = TABLES["parcels"].match_columns(["宗地号", "面积", "申报面积", "状态"])
    assert mapping["申报面积"] == "declared_area_mu"
    assert "面积" not in mapping


def test_land_demand_headers_stay_with_projects():
    parcels, _ = TABLES["parcels"].match_columns(["宗地号", "用地需求", "需地面积"])
    assert set(parcels.values()) == {"parcel_id"}


def _issues(table, column, values):
    key = TABLES[table].key
    frame = pd.DataFrame({key: [f"X{i + 1}" for i in range(len(values))], column: values})
    out, issues = TABLES[table].normalise(frame)
    return out[column].tolist(), [(i.row, i.severity, i.code, i.message) for i in issues]


def test_approximate_demand_is_read_with_a_warning_naming_value_and_number():
    values, issues = _issues("projects", "land_demand_mu", ["约30亩", "30亩左右", "~30", "30余亩"])
    assert values == [30.0] * 4
    assert [row for row, *_ in issues] == [1, 2, 3, 4]
    assert {(sev, code) for _, sev, code, _ in issues} == {("warning", "approximate_value")}
    assert issues[0][3] == (
        "land_demand_mu '约30亩' is written as approximate; read as 30 亩; "
        "replace it with the exact figure when it is known"
    )


def test_exponent_is_read_with_a_doubt_and_separators_plainly():
    values, issues = _issues("parcels", "declared_area_mu", ["1e1", "1,234.5", "１２３４．５"])
    assert values == [10.0, 1234.5, 1234.5]
    assert issues == [
        (1, "warning", "doubtful_value",
         "declared_area_mu '1e1' read as 10 亩: written in exponent notation: '1e1' is 10"),
    ]  # fmt: skip


def test_investment_in_chinese_units():
    values, issues = _issues(
        "projects", "investment_wan", ["3000万元", "1.2亿", "1.2亿元", "5000元"]
    )
    assert values == [3000.0, 12000.0, 12000.0, 0.5]
    assert [(row, code) for row, _, code, _ in issues] == [(4, "doubtful_value")]
    assert "'5000元' read as 0.5 万元" in issues[0][3]


def test_constraint_units_and_a_unit_that_does_not_fit():
    frame = pd.DataFrame(
        {
            "kind": ["hv_line", "hv_line", "river", "hv_line"],
            "voltage_kv": ["220kV", "220千伏", None, "220亩"],
            "setback_m": [None, "30米", "30m", None],
        }
    )
    out, issues = TABLES["constraints"].normalise(frame)
    assert out["voltage_kv"].tolist()[:3] == [220.0, 220.0, None]
    assert out["setback_m"].tolist() == pytest.approx([float("nan"), 30.0, 30.0, float("nan")],
                                                      nan_ok=True)  # fmt: skip
    assert [(i.field, i.row, i.severity) for i in issues] == [("voltage_kv", 4, "error")]
    assert "'220亩' is an area (亩), but voltage_kv is a voltage in kV" in issues[0].message


@pytest.mark.parametrize(
    ("header", "field"),
    [("走廊宽度", "corridor_width_m"), ("走廊总宽", "corridor_width_m"),
     ("corridor_width", "corridor_width_m"), ("走廊半宽", "corridor_m"),
     ("单侧宽度", "corridor_m")],
)  # fmt: skip
def test_corridor_width_is_the_full_width_unless_the_name_says_half(header, field):
    mapping, _ = TABLES["constraints"].match_columns(["类型", header])
    assert mapping[header] == field


def test_written_dates_that_look_like_numbers_are_dates():
    values, issues = _issues("projects", "signed_on", ["2024.3", "2024.10", "2013年5月30日"])
    assert values == ["2024-03-01", "2024-10-01", "2013-05-30"]
    assert issues == []


def test_excel_serial_dates_are_read_with_a_warning():
    values, issues = _issues(
        "projects", "signed_on", [41424, "41424", 41424.75, dt.date(2013, 5, 30)]
    )
    assert values == ["2013-05-30"] * 4
    assert [(row, sev, code) for row, sev, code, _ in issues] == [
        (1, "warning", "doubtful_value"), (2, "warning", "doubtful_value"),
        (3, "warning", "doubtful_value"),
    ]  # fmt: skip
    assert issues[0][3].startswith(
        "signed_on 41424 is a number, read as the Excel serial date 2013-05-30"
    )


@pytest.mark.parametrize(
    ("value", "why"),
    [(2013, "a year alone is not a date"), (20130530, "not between 1982-01-01 and 2060-12-31"),
     (100, "not between 1982-01-01 and 2060-12-31"), (-3, "not between"),
     (2024.3, "2024.10 reads as 2024.1")],
)  # fmt: skip
def test_other_numbers_in_a_date_column_are_refused(value, why):
    values, issues = _issues("projects", "signed_on", [value])
    assert values == [value]  # kept as written
    assert [(row, sev) for row, sev, *_ in issues] == [(1, "error")]
    assert why in issues[0][3]


TEXTS = ["已征收", None, " 已征收 ", "ＹＢ－０１", "", "—", "YB-01", "yb-01\u200b", "YB-01", None]


def test_text_columns_read_by_distinct_value_as_cell_by_cell():
    from parkgis.model.schema import _each_distinct
    from parkgis.model.values import clean_text, id_text, ids_text

    calls = []

    def read(v):
        calls.append(v)
        return clean_text(v, fold=True)

    assert _each_distinct(TEXTS, read) == [clean_text(v, fold=True) for v in TEXTS]
    assert len(calls) == len(set(TEXTS))  # each distinct value once, None included
    assert ids_text(TEXTS) == [id_text(v) for v in TEXTS]
    assert ids_text([*TEXTS, 17.0, 3]) == [id_text(v) for v in [*TEXTS, 17.0, 3]]


def test_ids_are_normalised_alike_on_the_quick_path_and_the_careful_one():
    parcels = pd.DataFrame({"parcel_id": ["A-1 ", None, "—", "B-2"]})
    quick, issues = TABLES["parcels"].normalise(parcels)
    assert quick["parcel_id"].tolist() == ["A-1", None, None, "B-2"] and issues == []
    wide, issues = TABLES["parcels"].normalise(pd.DataFrame({"parcel_id": ["Ａ-1", "B-2 "]}))
    assert wide["parcel_id"].tolist() == ["A-1", "B-2"]
    assert [i.code for i in issues] == ["doubtful_value"]
