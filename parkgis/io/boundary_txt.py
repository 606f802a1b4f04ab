"""The 界址点坐标交换格式 TXT: the boundary-point file of every approval package.

The provincial approval systems (建设用地报批) and the survey companies'
勘测定界 packages exchange parcels as this text file (see CHINA_GIS.md)::

    [属性描述]
    格式版本号=1.01版本
    坐标系=2000国家大地坐标系
    几度分带=3
    投影类型=高斯克吕格
    计量单位=米
    带号=35
    精度=0.001
    转换参数=,,,,,,
    [地块坐标]
    5,1.0000,A-01,香香嘴,面,,工业用地,0601,@
    J1,1,3580100.000,35500000.000
    …

A parcel header line ``界址点数,地块面积(公顷),地块编号,地块名称,记录图形属性,
图幅号,地块用途,地类编码,@`` is followed by one line ``点号,圈号,X,Y`` per
boundary point: X the northing, Y the easting (with the zone number in
front, ``35500000.000``, or without it, the zone then in ``带号``); each ring
closed by repeating its first point; 圈号 1 the outer ring, 2, 3, … the
others — holes when they lie inside a ring, further parts when outside.

Reading (:func:`read_boundary_txt`) recognises the file by its content, the
``[地块坐标]`` section (:func:`is_boundary_txt`), whatever its suffix, and
says in its decisions which variant it met: the encoding (GBK, UTF-8 with or
without BOM), X and Y swapped (told from the values: a northing in China is
1 000 000–9 999 999 m, an easting below 1 000 000 m or, zone-prefixed, above
10 000 000 m), no zone prefix (the zone from ``带号``), a 6-degree zone,
header fields missing or added, blank lines, the trailing ``@`` missing,
rings not closed (closed when the point count the header line declares
says no point is missing), rings that are holes. The CRS comes from the
header — ``坐标系`` (CGCS2000, Xian 1980, Beijing 1954), ``几度分带``, the
zone — and is looked up by name in the EPSG database of pyproj. The header's
地块面积 (公顷) becomes ``declared_area_mu`` (× 15), which ``validate``
compares with the measured area (``area_mismatch``). A file that cannot be
read unambiguously is refused, naming the line, the value and the way out.

Writing (:func:`write_boundary_txt`): GBK, CRLF line ends, the CGCS2000
Gauss-Kruger zone of :func:`parkgis.land.boundary_points.boundary_crs`,
points numbered and ordered as :mod:`parkgis.land.boundary_points` states
(J1 at the north-west-most vertex, clockwise, rings closed, 圈号 for holes),
coordinates to 1 mm (``精度=0.001``). The 地块面积 written is the *planar*
Gauss-Kruger area of the zone in 公顷 (4 decimals), computed from the
written coordinates — the area the ministry's files and the approval
systems carry (boundary-survey practice); parkgis's own figures are
ellipsoidal, and the writer's decisions give both.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from parkgis.errors import CRSMissingError, InputError
from parkgis.io.encoding import detect_text_encoding
from parkgis.io.special import SpecialRead

__all__ = [
    "HEADER_FIELDS",
    "SECTION",
    "is_boundary_txt",
    "read_boundary_txt",
    "txt_text",
    "write_boundary_txt",
]

SECTION = "[地块坐标]"
"""The section that makes a text file a 界址点坐标 TXT."""
HEADER_FIELDS = (
    "格式版本号",
    "数据产生单位",
    "数据产生日期",
    "坐标系",
    "几度分带",
    "投影类型",
    "计量单位",
    "带号",
    "精度",
    "转换参数",
)
"""The ``[属性描述]`` fields the format defines, in order."""
_ALIASES = {"分带": "几度分带", "坐标系统": "坐标系", "中央带号": "带号"}
_SNIFF_BYTES = 1 << 16
_SQM_PER_HA = 10_000.0
_HA_TO_MU = 15.0
_DATUMS = (
    (("2000", "cgcs"), "CGCS2000", "2000国家大地坐标系"),
    (("80", "西安", "xian"), "Xian 1980", "80西安坐标系"),
    (("54", "北京", "beijing"), "Beijing 1954", "54北京坐标系"),
)
_NORTHING = (1_000_000.0, 10_000_000.0)  # X of China, in metres: lat 9°..54° N


# ---------------------------------------------------------------------------- recognising


def is_boundary_txt(path: Path) -> bool:
    """Whether ``path`` is a file holding a ``[地块坐标]`` section (whatever its suffix).

    The first 64 KiB are looked at, as UTF-8 or GB18030.
    """
    path = Path(path)
    if not path.is_file():
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return False
    if b"\x00" in head[:4096] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # binary: a GeoPackage, a shapefile
    for encoding in ("utf-8-sig", "gb18030", "utf-16"):
        text = head.decode(encoding, errors="ignore")
        if re.search(r"^\s*[\[【]\s*地块坐标\s*[\]】]", text, flags=re.M):
            return True
    return False


# ---------------------------------------------------------------------------- reading


@dataclass
class _Parcel:
    line: int
    count: int
    area: str
    fields: list[str]
    at: bool
    points: list[tuple[int, int, float, float]] = field(default_factory=list)  # line, ring, a, b


def read_boundary_txt(
    path: Path,
    *,
    layer: str | None = None,
    crs: str | int | CRS | None = None,
    encoding: str | None = None,
) -> SpecialRead:
    """Read a 界址点坐标交换格式 TXT as a layer of parcels.

    Parameters
    ----------
    path
        The file.
    layer
        Refused when given: the file has one layer.
    crs
        ``--crs``: needed only when the file does not say its zone (no zone
        prefix on Y and no ``带号``) or its 坐标系; when the file says them,
        a different ``--crs`` is refused by the common checks unless
        ``--override-crs``.
    encoding
        ``--encoding``; by default a byte-order mark, else strict UTF-8,
        else GB18030 (GBK).

    Returns
    -------
    SpecialRead
        Columns ``地块编号``, ``地块名称``, ``declared_area_mu`` (the
        header's 公顷 × 15; text kept as written when it is not a number, so
        validate names it), ``地块用途``, ``地类编码``, ``图幅号``, geometry.

    Raises
    ------
    InputError
        When a line cannot be read unambiguously (the message names it).
    CRSMissingError
        When the zone or the datum is unknown and ``crs`` is not given.
    """
    path = Path(path)
    where = str(path)
    if layer is not None:
        msg = f"{path}: a 界址点坐标 TXT has one layer; drop --layer {layer} (or :{layer})"
        raise InputError(msg, zh=f"{path}：界址点坐标 TXT 只有一个图层；请去掉 --layer {layer}")
    data = path.read_bytes()
    choice = detect_text_encoding(data, where=where, override=encoding)
    text = data.decode(choice.encoding)
    decisions = [
        f"界址点坐标 TXT (recognised by its [地块坐标] section); encoding {choice.encoding}: "
        + choice.reason
    ]
    header, header_lines, parcels = _parse(text, path, decisions)
    _check_header(header, header_lines, path, decisions)
    swapped, zone, prefixed = _axes_and_zone(parcels, path)
    if swapped:
        decisions.append(
            "X/Y swapped: the first coordinate of each point is an easting (X values look like "
            "eastings), the second a northing; read as Y, X"
        )
    file_crs = _file_crs(header, header_lines, zone, prefixed, path, crs, decisions)
    rows, geoms, broken = [], [], []
    unclosed: list[str] = []
    for pos, parcel in enumerate(parcels):
        fields = parcel.fields + [""] * (8 - len(parcel.fields))
        rows.append(
            {
                "地块编号": fields[2] or None,
                "地块名称": fields[3] or None,
                "declared_area_mu": _declared_mu(parcel.area),
                "地块用途": fields[6] or None,
                "地类编码": fields[7] or None,
                "图幅号": fields[5] or None,
            }
        )
        kind = fields[4]
        if kind and kind != "面":
            geoms.append(None)
            broken.append(
                (
                    pos,
                    f"line {parcel.line}: 记录图形属性 {kind!r} is not 面 (a polygon): a line or "
                    "points enclose no land; export the parcel as a polygon",
                    f"第 {parcel.line} 行：记录图形属性为 {kind!r}，不是“面”，线或点围不出面积；"
                    "请以面导出该地块",
                )
            )
            continue
        geom, opened = _parcel_geometry(parcel, swapped, path, decisions)
        if opened:
            unclosed.append(fields[2] or f"line {parcel.line}")
        geoms.append(geom)
    if unclosed:
        decisions.append(
            f"{len(unclosed)} parcel(s) list their rings without repeating the first point at the "
            f"end; the point count of their header line says none is missing, so each ring was "
            f"closed: {', '.join(unclosed[:10])}" + (" …" if len(unclosed) > 10 else "")
        )
    declared = [r["declared_area_mu"] for r in rows if isinstance(r["declared_area_mu"], float)]
    if declared:
        decisions.append(
            f"地块面积 (公顷) × 15 → declared_area_mu for {len(declared)} parcel(s) (these files "
            "usually carry the planar Gauss-Kruger area; validate compares it with the measured "
            "ellipsoidal area)"
        )
    frame = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms), crs=file_crs)
    origin = "from the [属性描述] header and the coordinates" if file_crs is not None else ""
    return SpecialRead(frame, where, origin, decisions, broken)


def _parse(
    text: str, path: Path, decisions: list[str]
) -> tuple[dict[str, str], dict[str, int], list[_Parcel]]:
    section = None
    header: dict[str, str] = {}
    header_lines: dict[str, int] = {}
    parcels: list[_Parcel] = []
    blank = 0
    no_at = 0
    ignored: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().replace("，", ",")
        if not line:
            blank += 1
            continue
        head = re.fullmatch(r"[\[【]\s*(.+?)\s*[\]】]", line)
        if head:
            section = head.group(1)
            if section not in {"属性描述", "地块坐标"}:
                ignored.append(f"[{section}] at line {number}")
            continue
        if section == "属性描述":
            key, sep, value = line.replace("＝", "=").partition("=")
            if not sep:
                ignored.append(f"line {number} {line!r} (not key=value)")
                continue
            key, value = _ALIASES.get(key.strip(), key.strip()), value.strip()
            if key in header and header[key] != value:
                raise _line_error(
                    path, number, line,
                    f"the header gives {key} twice, {header[key]!r} at line {header_lines[key]} "
                    f"and {value!r} here; keep the right one",
                    f"表头两次给出 {key}：第 {header_lines[key]} 行为 {header[key]!r}，此处为 "
                    f"{value!r}；请只保留正确的一个",
                )  # fmt: skip
            header[key], header_lines[key] = value, number
            continue
        if section != "地块坐标":
            ignored.append(f"line {number} {line!r} (outside any section)")
            continue
        fields = [f.strip() for f in line.split(",")]
        if fields[-1] == "@" or (len(fields) >= 7 and not _is_point(fields)):
            at = fields[-1] == "@"
            no_at += not at
            body = fields[:-1] if at else fields
            while len(body) > 8 and not body[-1]:
                body.pop()
            count = _int(body[0])
            if count is None or len(body) < 5:
                raise _line_error(
                    path, number, line,
                    f"a parcel header line needs 界址点数,地块面积,地块编号,地块名称,记录图形属性,"
                    f"图幅号,地块用途,地类编码,@ — its 界址点数 {body[0]!r} is not a whole number"
                    if count is None else "a parcel header line needs at least 界址点数,地块面积,"
                    "地块编号,地块名称,记录图形属性 before the @",
                    "地块头行应为 界址点数,地块面积,地块编号,地块名称,记录图形属性,图幅号,"
                    "地块用途,"
                    f"地类编码,@，此行不符（界址点数 {body[0]!r}）",
                )  # fmt: skip
            parcels.append(_Parcel(number, count, body[1], body, at))
            continue
        while len(fields) > 4 and not fields[-1]:
            fields.pop()  # a trailing comma
        if not _is_point(fields):
            raise _line_error(
                path, number, line,
                "neither a parcel header line (ending in @) nor a point line 点号,圈号,X,Y with "
                "a whole 圈号 and numeric X and Y; correct the line",
                "既不是地块头行（以 @ 结尾），也不是“点号,圈号,X,Y”界址点行（圈号为整数，X、Y 为"
                "数值）；请改正该行",
            )  # fmt: skip
        if not parcels:
            raise _line_error(
                path, number, line,
                "a point before any parcel header line; add the parcel's header line above it",
                "界址点行之前没有地块头行；请在其上方加上地块头行",
            )  # fmt: skip
        ring = int(fields[1])
        parcels[-1].points.append((number, ring, float(fields[2]), float(fields[3])))
    if not parcels:
        msg = f"{path}: the [地块坐标] section holds no parcel; there is nothing to read"
        raise InputError(msg, zh=f"{path}：[地块坐标] 段中没有地块，无可读取内容")
    if blank:
        decisions.append(f"{blank} blank line(s) skipped")
    if no_at:
        decisions.append(f"{no_at} parcel header line(s) without the trailing @, read as headers")
    if ignored:
        decisions.append("not part of the format, not read: " + "; ".join(ignored[:10]))
    return header, header_lines, parcels


def _is_point(fields: list[str]) -> bool:
    if len(fields) != 4 or _int(fields[1]) is None:
        return False
    return all(_finite(f) is not None for f in fields[2:])


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _finite(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _line_error(path: Path, number: int, line: str, why: str, why_zh: str) -> InputError:
    return InputError(
        f"{path} line {number}: {line!r}: {why}",
        zh=f"{path} 第 {number} 行：{line!r}：{why_zh}",
    )


def _check_header(
    header: dict[str, str], lines: dict[str, int], path: Path, decisions: list[str]
) -> None:
    if not header:
        decisions.append("no [属性描述] header: the CRS comes from the coordinates and --crs")
        return
    missing = [f for f in HEADER_FIELDS if f not in header]
    extra = [f"{k}={v}" for k, v in header.items() if k not in HEADER_FIELDS]
    if missing:
        decisions.append(f"header fields missing: {', '.join(missing)}")
    if extra:
        decisions.append(f"header fields the format does not define, not read: {', '.join(extra)}")
    unit = header.get("计量单位", "")
    if unit and unit.lower() not in {"米", "m", "metre", "meter", "公尺"}:
        raise _line_error(
            path, lines["计量单位"], f"计量单位={unit}",
            "parkgis reads 界址点 coordinates in metres (计量单位=米) only; export the file in "
            "metres of a Gauss-Kruger zone",
            "parkgis 只读取以米为单位的界址点坐标（计量单位=米）；请以高斯-克吕格投影的米坐标导出",
        )  # fmt: skip
    projection = header.get("投影类型", "")
    if projection and not re.search(r"高斯|gauss", projection, flags=re.I):
        raise _line_error(
            path, lines["投影类型"], f"投影类型={projection}",
            "parkgis reads 界址点 TXT in a Gauss-Kruger projection (投影类型=高斯克吕格) only",
            "parkgis 只读取高斯-克吕格投影（投影类型=高斯克吕格）的界址点 TXT",
        )  # fmt: skip


def _kind(value: float) -> str:
    if value >= _NORTHING[1]:
        return "E+"  # an easting with the zone number in front
    if value >= _NORTHING[0]:
        return "N"
    return "E"


def _axes_and_zone(parcels: list[_Parcel], path: Path) -> tuple[bool, int | None, bool]:
    """Whether X and Y are swapped, the zone of the prefix (if any), and whether Y has one."""
    first: tuple[int, bool, str] | None = None
    zone = None
    for parcel in parcels:
        for number, _, a, b in parcel.points:
            ka, kb = _kind(a), _kind(b)
            if ka == "N" and kb != "N":
                swapped, easting, kind = False, b, kb
            elif kb == "N" and ka != "N":
                swapped, easting, kind = True, a, ka
            else:
                raise _line_error(
                    path, number, f"{a},{b}",
                    "cannot tell X (northing, 1 000 000–9 999 999 m in China) from Y (easting, "
                    "below 1 000 000 m, or above 10 000 000 m with the zone number in front); "
                    "correct the coordinates",
                    "无法区分 X（北坐标，在中国为 1 000 000–9 999 999 米）与 Y（东坐标，小于 "
                    "1 000 000 米，或带带号时大于 10 000 000 米）；请改正坐标",
                )  # fmt: skip
            if first is None:
                first = (number, swapped, kind)
                zone = int(easting // 1_000_000) if kind == "E+" else None
                continue
            if swapped != first[1]:
                raise _line_error(
                    path, number, f"{a},{b}",
                    f"X and Y are in the other order than at line {first[0]}: a file lists them "
                    "one way; correct the line",
                    f"X、Y 的顺序与第 {first[0]} 行相反，一个文件只能用一种顺序；请改正该行",
                )  # fmt: skip
            if kind != first[2]:
                raise _line_error(
                    path, number, f"{a},{b}",
                    f"the easting {'has' if kind == 'E+' else 'has no'} zone number in front, "
                    f"unlike at line {first[0]}; write every Y the same way",
                    f"此处东坐标{'带' if kind == 'E+' else '不带'}带号，与第 {first[0]} 行不同；"
                    "请统一 Y 坐标的写法",
                )  # fmt: skip
            if kind == "E+" and int(easting // 1_000_000) != zone:
                raise _line_error(
                    path, number, f"{a},{b}",
                    f"zone {int(easting // 1_000_000)} in front of Y, but zone {zone} at line "
                    f"{first[0]}: parkgis reads one zone per file; split the file by zone",
                    f"Y 前的带号为 {int(easting // 1_000_000)}，而第 {first[0]} 行为 {zone}："
                    "一个文件只能有一个分带；请按分带拆分文件",
                )  # fmt: skip
    if first is None:
        msg = f"{path}: no boundary point in the [地块坐标] section"
        raise InputError(msg, zh=f"{path}：[地块坐标] 段中没有界址点")
    return first[1], zone, first[2] == "E+"


def _file_crs(
    header: dict[str, str],
    lines: dict[str, int],
    prefix_zone: int | None,
    prefixed: bool,
    path: Path,
    given: str | int | CRS | None,
    decisions: list[str],
) -> CRS | None:
    """The CRS the file states, or None when ``given`` (``--crs``) must say it."""
    zone = prefix_zone
    text = header.get("带号", "")
    if text:
        stated = _int(text)
        if stated is None:
            raise _line_error(
                path, lines["带号"], f"带号={text}", "带号 is not a whole number; correct it",
                "带号不是整数；请改正",
            )  # fmt: skip
        if prefix_zone is not None and stated != prefix_zone:
            raise _line_error(
                path, lines["带号"], f"带号={text}",
                f"the header says zone {stated}, but the Y values carry zone {prefix_zone} in "
                "front; correct the one that is wrong",
                f"表头带号为 {stated}，而 Y 坐标前的带号为 {prefix_zone}；请改正错误的一个",
            )  # fmt: skip
        if prefix_zone is None:
            decisions.append(f"no zone prefix on Y: zone {stated} taken from 带号={text}")
        else:
            decisions.append(f"zone {stated} from the zone number in front of Y (带号 agrees)")
        zone = stated
    elif prefix_zone is not None:
        decisions.append(f"zone {prefix_zone} from the zone number in front of Y")
    width = _zone_width(header, lines, zone, path, decisions)
    datum = _datum(header, lines, path, given is not None)
    if zone is None or datum is None or width is None:
        if given is not None:
            decisions.append("the file does not say its CRS in full: --crs used")
            return None
        hint = ""
        if datum in (None, "CGCS2000") and zone is not None and width is not None:
            hint = (
                f" (in CGCS2000 that is --crs EPSG:{_gk_epsg('CGCS2000', width, zone, prefixed)})"
            )
        what_zh = "分带（Y 前无带号，表头无带号）" if zone is None else "坐标系"
        what = "its zone (no zone number in front of Y, no 带号 in the header)" if zone is None \
            else "its 坐标系 (datum)"  # fmt: skip
        msg = (
            f"{path}: the file does not say {what}, and parkgis never guesses a CRS. Add "
            "带号=NN / 坐标系=2000国家大地坐标系 to its [属性描述] header, or give the CRS with "
            f"--crs EPSG:NNNN{hint}"
        )
        zh = (
            f"{path}：文件没有给出{what_zh}，"
            "parkgis 不猜测坐标系。请在 [属性描述] 中补上 带号=NN / 坐标系=2000国家大地坐标系，"
            f"或用 --crs EPSG:NNNN 指定{hint}"
        )
        raise CRSMissingError(msg, zh=zh)
    epsg = _gk_epsg(datum, width, zone, prefixed)
    crs = CRS.from_epsg(epsg)
    if datum != "CGCS2000":
        params = header.get("转换参数", "").replace(",", "").strip()
        decisions.append(
            f"datum {datum}, not CGCS2000: areas are measured as for any CRS; positions differ "
            "from CGCS2000 ones by up to some tens of metres"
            + ("; the 转换参数 of the header are not applied" if params else "")
        )
    return crs


def _zone_width(
    header: dict[str, str], lines: dict[str, int], zone: int | None, path: Path, decisions: list
) -> int | None:
    text = header.get("几度分带", "")
    width = None
    if text:
        match = re.fullmatch(r"\s*([36三六])\s*(度|度带)?\s*", text)
        if not match:
            raise _line_error(
                path, lines["几度分带"], f"几度分带={text}", "几度分带 must be 3 or 6",
                "几度分带应为 3 或 6",
            )  # fmt: skip
        width = {"3": 3, "三": 3, "6": 6, "六": 6}[match.group(1)]
    ranges = {3: range(25, 46), 6: range(13, 24)}
    if zone is None:
        return width
    if width is None:
        width = next((w for w, r in ranges.items() if zone in r), None)
        if width is not None:
            decisions.append(f"几度分带 not given: zone {zone} is a {width}-degree zone of China")
    if width is None or zone not in ranges[width]:
        where = lines.get("带号") or lines.get("几度分带") or 1
        raise _line_error(
            path, where, f"带号={zone}, 几度分带={text or '?'}",
            f"zone {zone} is not a {width or 3}-degree zone of China (3-degree: 25..45, "
            "6-degree: 13..23); correct 带号 or 几度分带",
            f"{zone} 带不是中国的 {width or 3} 度带（3 度带 25..45，6 度带 13..23）；请改正带号或"
            "几度分带",
        )  # fmt: skip
    if width == 6:
        decisions.append(f"6-degree zone {zone} (central meridian {6 * zone - 3}°E)")
    return width


def _datum(header: dict[str, str], lines: dict[str, int], path: Path, given: bool) -> str | None:
    text = header.get("坐标系", "")
    if not text:
        return None
    folded = text.lower()
    for keys, name, _ in _DATUMS:
        if any(k in folded for k in keys):
            return name
    if given:
        return None
    raise _line_error(
        path, lines["坐标系"], f"坐标系={text}",
        "not a datum parkgis knows (2000国家大地坐标系, 80西安坐标系, 54北京坐标系); give the "
        "file's CRS with --crs EPSG:NNNN",
        "不是 parkgis 识别的坐标系（2000国家大地坐标系、80西安坐标系、54北京坐标系）；请用 "
        "--crs EPSG:NNNN 指定文件的坐标系",
    )  # fmt: skip


def _gk_epsg(datum: str, width: int, zone: int, prefixed: bool) -> int:
    """The EPSG code of a Gauss-Kruger zone, looked up by its name in pyproj's database."""
    band = "3-degree Gauss-Kruger" if width == 3 else "Gauss-Kruger"
    cm = 3 * zone if width == 3 else 6 * zone - 3
    name = f"{datum} / {band} zone {zone}" if prefixed else f"{datum} / {band} CM {cm}E"
    code = _gk_codes().get(name)
    if code is None:  # pragma: no cover - the EPSG database holds every zone of China
        raise InputError(f"no EPSG code for {name!r} in pyproj's database")
    return code


@functools.lru_cache(maxsize=1)
def _gk_codes() -> dict[str, int]:
    from pyproj.database import query_crs_info

    infos = query_crs_info(auth_name="EPSG", pj_types=["PROJECTED_CRS"])
    return {i.name: int(i.code) for i in infos if "Gauss-Kruger" in i.name}


def _declared_mu(text: str) -> float | str | None:
    value = text.strip().removesuffix("公顷").strip()
    if not value:
        return None
    number = _finite(value)
    return number * _HA_TO_MU if number is not None and number >= 0 else f"{text}公顷"


def _parcel_geometry(
    parcel: _Parcel, swapped: bool, path: Path, decisions: list[str]
) -> tuple[shapely.Geometry | None, bool]:
    """The parcel's polygon, and whether rings had to be closed."""
    rings: list[tuple[int, int, list[tuple[float, float]]]] = []  # first line, 圈号, E/N points
    for number, ring, a, b in parcel.points:
        point = (a, b) if swapped else (b, a)
        if rings and rings[-1][1] == ring:
            rings[-1][2].append(point)
            continue
        if any(r[1] == ring for r in rings):
            raise _line_error(
                path, number, f"圈号 {ring}",
                f"ring {ring} of the parcel of line {parcel.line} starts again after another "
                "ring: list each ring's points together",
                f"第 {parcel.line} 行地块的第 {ring} 圈在其他圈之后又出现；同一圈的点应连续列出",
            )  # fmt: skip
        rings.append((number, ring, [point]))
    listed = len(parcel.points)
    closed = [len(pts) > 1 and pts[0] == pts[-1] for _, _, pts in rings]
    repeats = sum(closed)
    if parcel.count not in {listed, listed - repeats}:
        if not all(closed):
            raise _line_error(
                path, parcel.line, f"界址点数 {parcel.count}",
                f"the header line declares {parcel.count} points, {listed} follow, and a ring is "
                "not closed: points may be missing; correct the count or the points",
                f"头行声明 {parcel.count} 个界址点，实际列出 {listed} 个，且有圈未闭合，可能缺点；"
                "请改正点数或界址点",
            )  # fmt: skip
        decisions.append(
            f"line {parcel.line}: the header line declares {parcel.count} points, {listed} "
            "follow (every ring closed); read as listed"
        )
    polygons = []
    for (_, _, pts), was_closed in zip(rings, closed, strict=True):
        corners = pts[:-1] if was_closed else pts
        if len(corners) < 3:
            polygons.append(shapely.Polygon())
            continue
        polygons.append(shapely.Polygon(corners))
    if not rings:
        return None, False
    return _assemble(polygons, [r[0] for r in rings], [r[1] for r in rings], path), not all(closed)


def _assemble(
    rings: list[shapely.Polygon], lines: list[int], numbers: list[int], path: Path
) -> shapely.Geometry:
    """Rings into a (multi)polygon: a ring inside another is its hole; crossing rings refused."""
    if len(rings) == 1:
        return rings[0]
    depth = []
    for i, ring in enumerate(rings):
        inside = [j for j, other in enumerate(rings) if j != i and other.contains(ring)]
        for j, other in enumerate(rings):
            if j != i and j not in inside and not ring.contains(other) and ring.overlaps(other):
                raise _line_error(
                    path, lines[i], f"圈号 {numbers[i]}",
                    f"ring {numbers[i]} crosses ring {numbers[j]} (line {lines[j]}): a ring is "
                    "either inside another (a hole) or apart from it (another part); correct them",
                    f"第 {numbers[i]} 圈与第 {numbers[j]} 圈（第 {lines[j]} 行）相交："
                    "一个圈要么在另一圈"
                    "之内（洞），要么与之分离（另一部分）；请改正",
                )  # fmt: skip
        depth.append(inside)
    parts = []
    for i, ring in enumerate(rings):
        if len(depth[i]) % 2:
            continue  # a hole: taken with its shell below
        holes = [
            rings[k].exterior
            for k in range(len(rings))
            if len(depth[k]) == len(depth[i]) + 1 and i in depth[k]
        ]
        parts.append(shapely.Polygon(ring.exterior, holes))
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


# ---------------------------------------------------------------------------- writing


def txt_text(
    parcels: gpd.GeoDataFrame,
    *,
    crs: CRS,
    producer: str = "",
    produced_on: dt.date | None = None,
    decisions: list[str] | None = None,
) -> str:
    """The TXT's text for ``parcels`` in the Gauss-Kruger CRS ``crs`` (CRLF line ends).

    Parameters
    ----------
    parcels
        Parcels with ``parcel_id`` and optionally ``name``, ``land_use``
        (or ``地块用途``), ``地类编码``, ``图幅号``; any CRS.
    crs
        A CGCS2000 Gauss-Kruger CRS (see
        :func:`parkgis.land.boundary_points.boundary_crs`).
    producer, produced_on
        ``数据产生单位`` and ``数据产生日期``.
    decisions
        Appended: the CRS and the area written.
    """
    from parkgis.land.boundary_points import boundary_areas, numbered_rings
    from parkgis.model.vocab import VOCABULARIES

    crs = CRS.from_user_input(crs)
    epsg = crs.to_epsg() or 0
    width = 6 if epsg <= 4512 else 3
    prefixed = 4491 <= epsg <= 4501 or 4513 <= epsg <= 4533
    cm = round(_central_meridian(crs))
    zone = cm // 3 if width == 3 else (cm + 3) // 6
    present = parcels[parcels.geometry.notna() & ~parcels.geometry.is_empty]
    areas = boundary_areas(present, crs=crs)
    lines = [
        "[属性描述]",
        "格式版本号=1.01版本",
        f"数据产生单位={_clean(producer)}",
        f"数据产生日期={(produced_on or dt.date.today()).isoformat()}",
        "坐标系=2000国家大地坐标系",
        f"几度分带={width}",
        "投影类型=高斯克吕格",
        "计量单位=米",
        f"带号={zone}",
        "精度=0.001",
        "转换参数=,,,,,,",
        SECTION,
    ]
    moved = present.geometry.to_crs(crs)
    land_use = VOCABULARIES.get("land_use")
    for (_, row), geom, ha in zip(present.iterrows(), moved, areas["planar_area_ha"], strict=True):
        rings = numbered_rings(geom)
        count = sum(len(r.numbers) + 1 for r in rings)
        use = row.get("地块用途")
        if not _text(use) and _text(row.get("land_use")) and land_use is not None:
            use = (
                land_use.label(row["land_use"], lang="zh") if row["land_use"] in land_use else None
            )
        fields = [
            str(count),
            f"{ha:.4f}",
            _clean(row.get("parcel_id")),
            _clean(row.get("name")),
            "面",
            _clean(row.get("图幅号")),
            _clean(use),
            _clean(row.get("地类编码")),
            "@",
        ]
        lines.append(",".join(fields))
        for ring in rings:
            listed = [*zip(ring.xy, ring.numbers, strict=True), (ring.xy[0], ring.numbers[0])]
            for (e, n), number in listed:
                lines.append(f"J{number},{ring.ring},{n:.3f},{e:.3f}")
    if decisions is not None:
        decisions.append(
            f"界址点坐标 TXT in EPSG:{epsg} ({crs.name}), "
            f"{'Y with the zone number in front' if prefixed else 'Y without zone prefix'}; "
            "points J1… clockwise from the north-west-most vertex of each ring, rings closed, "
            "coordinates to 1 mm"
        )
        planar = float(areas["planar_area_mu"].sum())
        ellipsoid = float(areas["area_mu"].sum())
        decisions.append(
            f"地块面积 written as the planar Gauss-Kruger area of the zone in 公顷 (from the "
            f"written coordinates), as approval packages carry it: {planar:.4f} mu in all; on the "
            f"ellipsoid (parkgis's figures) {ellipsoid:.4f} mu"
        )
        if len(present) < len(parcels):
            decisions.append(
                f"{len(parcels) - len(present)} parcel(s) without a geometry not written: "
                + ", ".join(map(str, parcels.loc[~parcels.index.isin(present.index), "parcel_id"]))
            )
    return "\r\n".join(lines) + "\r\n"


def write_boundary_txt(
    parcels: gpd.GeoDataFrame,
    path: Path,
    *,
    crs: CRS,
    producer: str = "",
    produced_on: dt.date | None = None,
    decisions: list[str] | None = None,
) -> Path:
    """Write ``parcels`` as a 界址点坐标 TXT (GBK), atomically.

    See :func:`txt_text` for the parameters.

    Raises
    ------
    InputError
        When a name cannot be written in GBK (the message names it).
    """
    from parkgis.io.writing import atomic_path

    text = txt_text(parcels, crs=crs, producer=producer, produced_on=produced_on,
                    decisions=decisions)  # fmt: skip
    try:
        data = text.encode("gbk")
    except UnicodeEncodeError as exc:
        bad = exc.object[max(exc.start - 20, 0) : exc.end + 20]
        msg = (
            f"{path}: {exc.object[exc.start : exc.end]!r} in {bad!r} cannot be written in GBK, the "
            "encoding of the 界址点坐标 TXT; change the name or id in the park"
        )
        raise InputError(
            msg, zh=f"{path}：{bad!r} 中的字符无法用 GBK 编码写出；请修改园区中的名称或编号"
        ) from None
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def _central_meridian(crs: CRS) -> float:
    for param in crs.coordinate_operation.params if crs.coordinate_operation else ():
        name = param.name.lower()
        if ("central meridian" in name or "natural origin" in name) and "longitude" in name:
            return float(param.value)
    raise InputError(f"{crs.name} has no central meridian: not a Gauss-Kruger CRS")


def _text(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and np.isnan(value):
        return False
    return bool(str(value).strip())


def _clean(value: object) -> str:
    """A value for a comma-separated field: no commas, no line breaks."""
    if not _text(value):
        return ""
    return re.sub(r"[,\r\n]", " ", str(value)).strip()
