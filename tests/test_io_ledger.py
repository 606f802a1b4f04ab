"""Reading ledgers as offices keep them: titles, merged cells, text numbers, totals, notes.

Every workbook and CSV is written here with openpyxl or plain bytes. Row
numbers in the assertions are the ones Excel shows.
"""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from parkgis.errors import EncodingError, InputError
from parkgis.io import ledger
from parkgis.io.ledger import LedgerRead, read_ledger
from parkgis.model.schema import TABLES

HEADER = [
    "序号",
    "项目名称",
    "企业",
    "片区",
    "总投资(万元)",
    "用地需求(亩)",
    "项目阶段",
    "签约日期",
]


def office_workbook(path):
    """A project ledger as a park office keeps it (rows as Excel numbers them)."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "项目台账"
    ws.append(["元坝工业园区2024年上半年招商项目台账"])  # 1: title, merged across
    ws.merge_cells("A1:H1")
    ws.append(["填报单位：园区管委会", None, None, None, None, "填报日期：2024年7月5日"])  # 2
    ws.append(HEADER)  # 3
    ws.append(
        [1, "中纺粮油项目", "中纺油脂", "东区", 100000, "220", "签约", dt.datetime(2024, 5, 30)]
    )  # 4
    ws.append([2, "香香嘴食品", "香香嘴", None, " 1,200 ", 65, "在建", "2024.3"])  # 5: 片区 merged
    ws.merge_cells("D4:D5")
    ws.append([None] * 8)  # 6: blank
    ws.append([3, " 蜀丰酒业 ", "蜀丰", "西区", "3000", " 30 ", "已投产", None])  # 7
    ws.append(["合 计", None, None, None, 104200, 315])  # 8
    ws.append(["注：投资额单位为万元，用地单位为亩。"])  # 9: note, merged across
    ws.merge_cells("A9:H9")
    ws.append(["填表人：张三", None, None, "联系电话：0839-1234567"])  # 10
    book.save(path)
    return path


@pytest.fixture(autouse=True, params=["calamine", "openpyxl"])
def excel_reader(request, monkeypatch):
    """Every test runs with both Excel readers: python-calamine and openpyxl."""
    if request.param == "calamine":
        pytest.importorskip("python_calamine", reason="python-calamine is a dependency")
    monkeypatch.setattr(ledger, "_excel_reader", lambda: request.param)
    return request.param


def frame(rows: list[list[object]], columns: list[str] = HEADER) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns, dtype=object)


def test_office_workbook(tmp_path):
    read = read_ledger(office_workbook(tmp_path / "台账.xlsx"))
    expected = frame(
        [
            [1, "中纺粮油项目", "中纺油脂", "东区", 100000, "220", "签约", dt.date(2024, 5, 30)],
            [2, "香香嘴食品", "香香嘴", "东区", "1,200", 65, "在建", "2024.3"],
            [3, "蜀丰酒业", "蜀丰", "西区", "3000", "30", "已投产", None],
        ]
    )
    assert_frame_equal(read.frame, expected)
    assert read.source_rows == [4, 5, 7]
    assert read.skipped_rows == [
        (1, "above the header: '元坝工业园区2024年上半年招商项目台账'"),
        (2, "above the header: '填报单位：园区管委会 填报日期：2024年7月5日'"),
        (6, "blank row"),
        (8, "totals row (合计)"),
        (9, "note below the table: '注：投资额单位为万元，用地单位为亩。'"),
        (10, "note below the table: '填表人：张三 联系电话：0839-1234567'"),
    ]
    assert read.decisions == [
        "header: row 3",
        "1 merged cell range(s) filled: each value repeated in every cell it spans (D4:D5 东区)",
    ]


def test_office_workbook_values_normalise(tmp_path):
    """What is kept raw here is what TableSchema.normalise understands."""
    read = read_ledger(office_workbook(tmp_path / "台账.xlsx"))
    schema = TABLES["projects"]
    mapping, _ = schema.match_columns(list(read.frame.columns))
    out, issues = schema.normalise(read.frame.rename(columns=mapping))
    assert issues == []
    assert out["investment_wan"].tolist() == [100000.0, 1200.0, 3000.0]
    assert out["land_demand_mu"].tolist() == [220.0, 65.0, 30.0]
    assert out["stage"].tolist() == ["signed", "construction", "operating"]
    assert out["signed_on"].tolist() == ["2024-05-30", "2024-03-01", None]


def test_two_header_rows_under_a_merged_group(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["项目名称", "总投资(万元)", "用地情况", None, "备注"])
    ws.append([None, None, "用地需求(亩)", "地块编号", None])
    ws.merge_cells("C1:D1")
    ws.merge_cells("A1:A2")
    ws.merge_cells("B1:B2")
    ws.merge_cells("E1:E2")
    ws.append(["蜀丰酒业", 3000, 30, "D-07", None])
    book.save(tmp_path / "two.xlsx")
    read = read_ledger(tmp_path / "two.xlsx")
    assert list(read.frame.columns) == [
        "项目名称",
        "总投资(万元)",
        "用地需求(亩)",
        "地块编号",
        "备注",
    ]
    assert read.frame.iloc[0].tolist() == ["蜀丰酒业", 3000, 30, "D-07", None]
    assert read.source_rows == [3]


def test_table_away_from_a1(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws["C3"], ws["D3"] = "项目名称", "项目阶段"
    ws["C4"], ws["D4"] = "蜀丰酒业", "投产"
    book.save(tmp_path / "away.xlsx")
    read = read_ledger(tmp_path / "away.xlsx")
    assert read.decisions == ["header: row 3"]
    assert read.source_rows == [4]
    assert read.frame.to_dict("records") == [{"项目名称": "蜀丰酒业", "项目阶段": "投产"}]


def test_sheet_choice(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["本表由园区管委会填报"])
    ws = book.create_sheet("项目")
    ws.append(["项目名称", "项目阶段"])
    ws.append(["蜀丰酒业", "投产"])
    book.save(tmp_path / "book.xlsx")
    read = read_ledger(tmp_path / "book.xlsx")
    assert read.frame["项目名称"].tolist() == ["蜀丰酒业"]
    assert read.decisions[0] == "sheet '项目': the only one of 2 with a known header"
    assert read_ledger(tmp_path / "book.xlsx", sheet=1).frame.shape == (1, 2)

    ws = book.create_sheet("项目(旧)")
    ws.append(["项目名称", "项目阶段"])
    book.save(tmp_path / "book.xlsx")
    match = r"3 sheets \(说明, 项目, 项目\(旧\)\).*Move or Copy"
    with pytest.raises(InputError, match=match) as err:
        read_ledger(tmp_path / "book.xlsx")
    # No command has a --sheet option: the advice is what works today.
    assert "--sheet" not in str(err.value) and "--sheet" not in err.value.zh
    assert "移动或复制" in err.value.zh
    with pytest.raises(InputError, match="no sheet '目标'"):
        read_ledger(tmp_path / "book.xlsx", sheet="目标")


def test_formula_without_saved_value_is_reported(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["项目名称", "总投资(万元)", "用地需求(亩)"])
    ws.append(["蜀丰酒业", "=1000*3", 30])
    book.save(tmp_path / "f.xlsx")
    read = read_ledger(tmp_path / "f.xlsx")
    assert read.frame.iloc[0].tolist() == ["蜀丰酒业", None, 30]
    assert any("B2 (=1000*3)" in d and "no saved value" in d for d in read.decisions)


def test_unnamed_and_repeated_columns_and_repeated_header(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["项目名称", "备注", "备注", None, None])
    ws.append(["蜀丰酒业", "a", "b", None, "x"])
    ws.append(["项目名称", "备注", "备注"])  # printed on each page
    ws.append(["香香嘴", "c", None, None, None])
    book.save(tmp_path / "c.xlsx")
    read = read_ledger(tmp_path / "c.xlsx")
    assert list(read.frame.columns) == ["项目名称", "备注", "备注_2", "column_E"]
    assert read.frame["column_E"].tolist() == ["x", None]
    assert read.skipped_rows == [(3, "the header repeated")]
    assert "column column_E: values under an empty header cell" in read.decisions


def test_section_headings_subtotals_and_notes_after_the_total(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["序号", "项目名称", "总投资(万元)", "项目阶段"])  # 1
    ws.append(["一、新签约项目"])  # 2
    ws.merge_cells("A2:D2")
    ws.append([1, "中纺粮油项目", 100000, "签约"])  # 3
    ws.append(["小计", None, 100000])  # 4
    ws.append(["（二）续建项目"])  # 5
    ws.append([2, "总计划外项目", 500, "在建"])  # 6: a name, not a total
    ws.append(["合计（2个）", None, 100500])  # 7
    ws.append(["以上数据截至2024年6月30日"])  # 8
    book.save(tmp_path / "s.xlsx")
    read = read_ledger(tmp_path / "s.xlsx")
    assert read.frame["项目名称"].tolist() == ["中纺粮油项目", "总计划外项目"]
    assert read.skipped_rows == [
        (2, "section heading: '一、新签约项目'"),
        (4, "totals row (小计)"),
        (5, "section heading: '（二）续建项目'"),
        (7, "totals row (合计)"),
        (8, "note below the totals row: '以上数据截至2024年6月30日'"),
    ]


CSV_ROWS = (
    '项目名称,总投资(万元),用地需求(亩)\n蜀丰酒业,"1,200", 30 \n香香嘴,3000,65\n合计,4200,95\n'
)


@pytest.mark.parametrize(
    ("encode", "decision"),
    [
        (lambda t: t.encode("gbk"), "encoding GB18030: the text is not valid UTF-8"),
        (lambda t: t.encode("utf-8-sig"), "encoding utf-8-sig: UTF-8 byte-order mark"),
        (lambda t: t.encode("utf-8"), "encoding UTF-8: the text is valid UTF-8"),
    ],
)
def test_csv_encodings(tmp_path, encode, decision):
    path = tmp_path / "projects.csv"
    path.write_bytes(encode(CSV_ROWS))
    read = read_ledger(path)
    expected = frame(
        [["蜀丰酒业", "1,200", "30"], ["香香嘴", "3000", "65"]],
        columns=["项目名称", "总投资(万元)", "用地需求(亩)"],
    )
    assert_frame_equal(read.frame, expected)
    assert read.decisions[0].startswith(decision)
    assert read.skipped_rows == [(4, "totals row (合计)")]


def test_csv_with_title_rows(tmp_path):
    path = tmp_path / "projects.csv"
    text = "元坝工业园区项目台账,,\n单位：万元,,\n" + CSV_ROWS
    path.write_bytes(text.encode("gbk"))
    read = read_ledger(path)
    assert read.frame["项目名称"].tolist() == ["蜀丰酒业", "香香嘴"]
    assert read.source_rows == [4, 5]
    assert read.skipped_rows[:2] == [
        (1, "above the header: '元坝工业园区项目台账'"),
        (2, "above the header: '单位：万元'"),
    ]


def test_unicode_text_from_excel(tmp_path):
    """Excel's 'Unicode text' export: UTF-16 with a BOM, tab-separated."""
    path = tmp_path / "projects.txt"
    path.write_bytes(CSV_ROWS.replace(",", "\t").replace('"1\t200"', "1200").encode("utf-16"))
    read = read_ledger(path)
    assert read.frame["总投资(万元)"].tolist() == ["1200", "3000"]
    assert "columns separated by tabs" in read.decisions


def test_csv_encoding_override_and_error(tmp_path):
    path = tmp_path / "projects.csv"
    path.write_bytes(CSV_ROWS.encode("gbk") + b"\xff\xfe,1,2\n")
    with pytest.raises(EncodingError, match=r"line 5 .*--encoding"):
        read_ledger(path)
    read = read_ledger(path, encoding="latin-1")
    assert read.decisions[0] == "encoding latin-1: given with --encoding latin-1"


def test_refusals(tmp_path):
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")  # not a whole workbook
    with pytest.raises(InputError, match=r"old Excel \(\.xls.*save it as \.xlsx"):
        read_ledger(tmp_path / "old.xls")
    (tmp_path / "blank.csv").write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="no header row"):
        read_ledger(tmp_path / "blank.csv")
    with pytest.raises(InputError, match="no such file"):
        read_ledger(tmp_path / "none.xlsx")


def test_result_type(tmp_path):
    read = read_ledger(office_workbook(tmp_path / "台账.xlsx"))
    assert isinstance(read, LedgerRead)
    assert all(pd.api.types.is_object_dtype(dtype) for dtype in read.frame.dtypes)


# -- text: Big5, UTF-16, BOMs and invisible characters ---------------------------


def test_big5_csv_ledger_is_read_as_big5(tmp_path):
    """It was read as GB18030 mojibake, and its demand summed to 0."""
    path = tmp_path / "台账.csv"
    path.write_bytes("project_id,name,land_demand_mu\nX1,中紡糧油項目,220\n".encode("big5"))
    read = read_ledger(path)
    assert read.frame["name"].tolist() == ["中紡糧油項目"]
    assert read.decisions[0].startswith("encoding CP950: ")


def test_gbk_or_big5_undecidable_csv_is_refused_naming_file_and_line(tmp_path):
    path = tmp_path / "ambiguous.csv"
    path.write_bytes("project_id,name\nX1,贾玲\n".encode("gbk"))
    with pytest.raises(EncodingError, match=r"ambiguous\.csv: cannot tell .* line 2 ") as err:
        read_ledger(path)
    assert str(err.value).endswith("pass --encoding GBK or --encoding BIG5")
    assert read_ledger(path, encoding="GBK").frame["name"].tolist() == ["贾玲"]


def test_utf16_csv_without_bom(tmp_path):
    path = tmp_path / "unicode.csv"
    path.write_bytes("项目名称\t用地需求(亩)\r\n蜀丰酒业\t30\r\n".encode("utf-16-le"))
    read = read_ledger(path)
    assert read.frame.to_dict("list") == {"项目名称": ["蜀丰酒业"], "用地需求(亩)": ["30"]}
    assert read.decisions[0].startswith("encoding UTF-16-LE: no byte-order mark")


def test_old_excel_under_an_xlsx_name_is_refused_with_advice_that_works(tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(InputError, match=r"old Excel \(\.xls, Excel 97-2003\).*save it as \.xlsx"):
        read_ledger(path)


def test_invisible_characters_in_header_and_values(tmp_path):
    """Two CSVs joined: the second one's BOM sits inside the table."""
    path = tmp_path / "joined.csv"
    text = (
        "\ufeff项目编号,项目名称,项目阶段\n"
        "X1,蜀丰酒业,\ufeff签约\n"
        "\ufeffX2,香香\u200b嘴,签约\u3000\n"
    )
    path.write_bytes(text.encode("utf-8"))
    read = read_ledger(path)
    schema = TABLES["projects"]
    mapping, _ = schema.match_columns(list(read.frame.columns))
    assert set(mapping.values()) == {"project_id", "name", "stage"}
    out, issues = schema.normalise(read.frame.rename(columns=mapping))
    assert out["stage"].tolist() == ["signed", "signed"]  # one group, not two
    assert out["name"].tolist() == ["蜀丰酒业", "香香嘴"]
    assert out["project_id"].tolist() == ["X1", "X2"]
    assert [(i.row, i.value, i.severity, i.code) for i in issues] == [
        (2, "\ufeffX2", "warning", "doubtful_value")
    ]
    assert issues[0].message == (
        "project_id '\\ufeffX2' is written with full-width or invisible characters; read as 'X2'"
    )


def test_fullwidth_ids_are_folded_with_a_warning_and_names_kept():
    frame = pd.DataFrame(
        {"parcel_id": ["ＹＢ－０１", "YB-02"], "name": ["（东区）", "西区"]}, dtype=object
    )
    out, issues = TABLES["parcels"].normalise(frame)
    assert out["parcel_id"].tolist() == ["YB-01", "YB-02"]
    assert out["name"].tolist() == ["（东区）", "西区"]  # names keep what was typed
    assert [(i.field, i.row, i.key, i.value) for i in issues] == [
        ("parcel_id", 1, "YB-01", "ＹＢ－０１")
    ]
    assert issues[0].message_zh == "地块编号 'ＹＢ－０１' 含全角或不可见字符，按 'YB-01' 读取"


def old_office_workbook(path):
    """The office workbook of :func:`office_workbook` saved as an old Excel 97-2003 file.

    Returns the .xls path and the .xlsx it was copied from."""
    xlwt = pytest.importorskip("xlwt", reason="xlwt writes the .xls (pip install -e '.[test]')")
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("项目台账")
    xlsx = office_workbook(path.parent / f"source-{path.stem}.xlsx")
    source = openpyxl.load_workbook(xlsx)["项目台账"]
    merged = {(r.min_row, r.min_col): r for r in source.merged_cells.ranges}
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for row in source.iter_rows():
        for cell in row:
            r, c = cell.row, cell.column
            if (r, c) in merged:
                m = merged[(r, c)]
                ws.write_merge(r - 1, m.max_row - 1, c - 1, m.max_col - 1, cell.value)
            elif cell.value is not None and not any(
                m.min_row <= r <= m.max_row and m.min_col <= c <= m.max_col for m in merged.values()
            ):
                if isinstance(cell.value, dt.datetime):
                    ws.write(r - 1, c - 1, cell.value, dates)
                else:
                    ws.write(r - 1, c - 1, cell.value)
    book.save(str(path))
    return path, xlsx


@pytest.mark.parametrize("name", ["台账.xls", "台账-old.xlsx"])
def test_old_excel_is_read_with_calamine_as_its_xlsx_is(tmp_path, excel_reader, name):
    path, xlsx = old_office_workbook(tmp_path / name)
    if excel_reader == "openpyxl":
        with pytest.raises(InputError, match=r"old Excel.*python-calamine.*save it as \.xlsx"):
            read_ledger(path)
        return
    old = read_ledger(path)
    new = read_ledger(xlsx)
    # Excel 97-2003 keeps every number as a float: 100000 reads back as 100000 (an int) all the
    # same; the table, rows and decisions are those of the .xlsx.
    assert_frame_equal(old.frame, new.frame)
    assert old.source_rows == new.source_rows
    assert old.skipped_rows == new.skipped_rows
    assert old.decisions == new.decisions
