"""CASS drawings (``.dxf``) as the survey company delivers them: parcels in, parcels out.

Reading (:func:`read_dxf`, called through :func:`parkgis.io.vector.read_layer`):

- every closed polyline (LWPOLYLINE or 2D POLYLINE with its closed flag, or
  whose last point repeats its first) on the parcels' CAD layer is a parcel
  boundary. The CAD layer is ``PATH:LAYER``; without one, the only layer
  holding closed polylines; closed polylines on several layers are refused,
  naming them. Arcs (bulges) are cut into chords at most 1 mm from the arc
  and flagged (``curved_geometry``).
- a closed polyline lying inside another is an island: a hole of the one
  around it (CAD's "扣岛"); if it carries its own id text it is also a
  parcel itself. Boundaries carrying the same id text form one parcel of
  several parts.
- TEXT, MTEXT and block attributes inside a parcel give its id and name: an
  id from a layer named like a parcel number (``ZDH``, ``宗地号`` …), a
  ``宗地号：`` prefix, or else text shaped like an id (``GY-001``,
  ``510812106001GB00001``); a name from a name layer (``ZDMC`` …), a
  ``名称：`` prefix, or else Chinese text. Boundary-point numbers (``J1``,
  layer ``JZD``) and numbers with decimals (areas, heights) are neither.
  Two different id texts in one parcel are refused, naming both; two names
  are kept together and flagged.
- an open polyline on the parcels' layer is a parcel that cannot be read: its
  ends within 1 m are joined and flagged (``unclosed_ring``), farther apart it
  is kept without a geometry (``broken_geometry``). Everything else — open
  lines elsewhere, texts outside every parcel, blocks, hatches, circles — is
  counted in the decisions with a few examples (CAD layer and handle).
- a DXF has no CRS: ``--crs`` is required, and the refusal says so.

GDAL's DXF driver is not used: through pyogrio 0.13 / GDAL 3.12 it returns
the Chinese text of a GBK (``ANSI_936``) drawing as mojibake, explodes
blocks into their lines (so they cannot be reported as blocks), hides a
polyline's closed flag, and writes polygons as HATCH, lines without the
closed flag and layer names in the wrong code page. ezdxf reads and writes
them as CAD does.

Writing (:func:`write_dxf`): one closed LWPOLYLINE per ring on layer ``ZD``
(holes as islands inside), the parcel id as TEXT on layer ``ZDH`` and its
name on ``ZDMC`` at a point inside the parcel, in the parcels' Gauss-Kruger
zone (metres), DXF R2010 (UTF-8 text).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from parkgis.errors import CRSMissingError, InputError
from parkgis.io.special import SpecialRead
from parkgis.measure.crs import local_gk_crs, lonlat_bounds, suggest_crs

__all__ = [
    "ARC_SAGITTA_M",
    "ID_LAYERS",
    "NAME_LAYERS",
    "POINT_LAYERS",
    "read_dxf",
    "write_dxf",
]

ARC_SAGITTA_M = 0.001
"""Arcs of a polyline are cut into chords at most this far (metres) from the arc."""
ID_LAYERS = frozenset(
    {"zdh", "zdbh", "宗地号", "宗地编号", "宗地代码", "dkbh", "地块编号", "parcel_id"}
)
"""CAD layers (lower case) whose texts are parcel ids."""
NAME_LAYERS = frozenset({"zdmc", "dkmc", "宗地名称", "地块名称", "name"})
"""CAD layers (lower case) whose texts are parcel names."""
POINT_LAYERS = frozenset({"jzd", "jzdh", "界址点", "界址点号"})
"""CAD layers (lower case) of boundary-point numbers (界址点号): never an id or a name."""

_CLOSE_M = 1.0  # an open boundary whose ends are this close is joined (as read_layer does)
_SAME_POINT = 1e-9  # relative: a polyline whose last point is its first is closed
_EXAMPLES = 3  # examples per kind of entity not used
_ID_SHAPE = re.compile(r"^[A-Za-z0-9]+(?:[-_/][A-Za-z0-9]+)*$")
_POINT_NUMBER = re.compile(r"^J\d+[A-Za-z]?$", re.IGNORECASE)
_PREFIX = re.compile(
    r"^\s*(宗地号|宗地编号|宗地代码|地块编号|编号|宗地名称|地块名称|名称)\s*[:：=]\s*(.+)$"
)
_ID_PREFIXES = {"宗地号", "宗地编号", "宗地代码", "地块编号", "编号"}
_CJK = re.compile(r"[\u4e00-\u9fff]")
_TEXT_TYPES = {"TEXT", "MTEXT", "ATTRIB"}


@dataclass
class _Ring:
    """A boundary read from a polyline."""

    coords: np.ndarray
    layer: str
    handle: str
    arcs: bool = False
    gap_m: float = 0.0  # how far apart its ends were before joining
    seq: int = 0  # its place in the drawing


@dataclass
class _Text:
    text: str
    x: float
    y: float
    layer: str
    handle: str
    role: str = "other"  # id, name, point, other
    strong: bool = False  # from an id/name layer or prefix, not by shape alone


@dataclass
class _Drawing:
    """What the modelspace holds, sorted."""

    closed: list[_Ring] = field(default_factory=list)
    open: list[_Ring] = field(default_factory=list)
    texts: list[_Text] = field(default_factory=list)
    others: dict[str, list[str]] = field(default_factory=dict)  # kind -> examples

    def other(self, kind: str, example: str) -> None:
        self.others.setdefault(kind, []).append(example)


def read_dxf(
    path: Path,
    *,
    layer: str | None = None,
    crs: str | int | CRS | None = None,
    encoding: str | None = None,
) -> SpecialRead:
    """Read the parcels of a CASS drawing: closed polylines, ids and names from texts inside.

    Parameters
    ----------
    path
        The ``.dxf`` file (ASCII or binary; DWG is not read).
    layer
        The CAD layer of the parcel boundaries (``PATH:LAYER``).
    crs
        The CRS the drawing is in (``--crs``): required, a DXF declares none.
    encoding
        The text encoding of a drawing older than AutoCAD 2007 whose header
        names the wrong code page (``--encoding GBK``).

    Returns
    -------
    SpecialRead
        Columns ``parcel_id``, ``name``, ``dxf_layer``, ``dxf_handle``; the
        CRS is ``crs``.

    Raises
    ------
    CRSMissingError
        Without ``crs``.
    InputError
        When the file is not a DXF ezdxf can read, when closed polylines lie
        on several CAD layers and none is chosen, when ``layer`` holds none,
        or when a parcel holds two different id texts.
    """
    doc = _open(path, encoding)
    drawing = _sorted_entities(doc)
    text = "UTF-8" if doc.dxfversion >= "AC1021" else f"{doc.encoding} (its $DWGCODEPAGE)"
    if encoding and doc.dxfversion < "AC1021":
        text = f"{encoding} (--encoding)"
    decisions = [f"DXF {doc.dxfversion} ({doc.acad_release}), text {text}"]
    chosen = _parcel_layer(path, drawing, layer, decisions)
    rings = [r for r in drawing.closed if r.layer == chosen]
    for ring in drawing.closed:
        if ring.layer != chosen:
            drawing.other(f"closed polylines on CAD layer {ring.layer!r}", _where(ring))
    joined, broken_open = [], []
    for ring in drawing.open:
        if ring.layer != chosen or len(np.unique(ring.coords, axis=0)) < 3:
            drawing.other("open lines", _where(ring) + f", {len(ring.coords)} points")
        elif ring.gap_m <= _CLOSE_M:
            joined.append(ring)
        else:
            broken_open.append(ring)
    if crs is None:
        raise _no_crs(path, [*rings, *joined])
    boundaries = sorted([*rings, *joined], key=lambda r: r.seq)  # in the drawing's order
    parcels = _parcels(path, boundaries, drawing, decisions)
    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    warned: dict[int, tuple[str, str, str]] = {}
    for parcel in parcels:
        pos = len(rows)
        rows.append(parcel.row)
        geoms.append(parcel.geometry)
        if parcel.warning is not None:
            warned[pos] = parcel.warning
    broken: list[tuple[int, str, str]] = []
    for ring in broken_open:
        broken.append(
            (
                len(rows),
                f"the polyline (CAD layer {ring.layer!r}, handle {ring.handle}) is not closed: "
                f"its ends are {ring.gap_m:.2f} m apart; close it in CASS (PEDIT, Close) or "
                "redraw it",
                f"多段线（图层 {ring.layer!r}，句柄 {ring.handle}）未闭合：首末点相距 "
                f"{ring.gap_m:.2f} 米；请在 CASS 中闭合（PEDIT 闭合）或重新勾绘",
            )
        )
        rows.append(
            {"parcel_id": None, "name": None, "dxf_layer": ring.layer, "dxf_handle": ring.handle}
        )
        geoms.append(None)
    _report_others(drawing, decisions)
    frame = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["parcel_id", "name", "dxf_layer", "dxf_handle"]),
        geometry=gpd.GeoSeries(geoms, index=range(len(rows))),
        crs=None,
    )
    source = f"{path} CAD layer {chosen!r}"
    return SpecialRead(
        frame, source, "given with --crs; a DXF declares none", decisions, broken, warned
    )


def _open(path: Path, encoding: str | None) -> Any:
    ezdxf = _ezdxf()
    from ezdxf import recover

    try:
        return ezdxf.readfile(path, encoding=encoding) if encoding else ezdxf.readfile(path)
    except (ezdxf.DXFStructureError, ezdxf.DXFError, ValueError, UnicodeError) as first:
        try:
            doc, auditor = recover.readfile(path)
        except Exception:
            doc, auditor = None, None
        if doc is None or auditor.has_errors:
            msg = (
                f"{path}: not a DXF drawing that can be read ({first}). Save it again from "
                "CASS/AutoCAD as DXF (a DWG must be saved as DXF first)"
            )
            zh = (
                f"{path}：不是可读取的 DXF 图形（{first}）。请在 CASS/AutoCAD 中重新另存为 DXF"
                "（DWG 须先另存为 DXF）"
            )
            raise InputError(msg, zh=zh) from None
        return doc
    except OSError as exc:
        raise InputError(
            f"{path}: cannot be read ({exc})", zh=f"{path}：无法读取（{exc}）"
        ) from None


def _ezdxf() -> Any:
    try:
        import ezdxf
    except ImportError:  # pragma: no cover - a dependency of parkgis
        msg = "reading and writing DXF needs ezdxf: pip install ezdxf"
        raise InputError(msg, zh="读写 DXF 需要 ezdxf：pip install ezdxf") from None
    return ezdxf


def _sorted_entities(doc: Any) -> _Drawing:
    from ezdxf import path as dxfpath

    drawing = _Drawing()
    for entity in doc.modelspace():
        kind = entity.dxftype()
        layer = str(entity.dxf.get("layer", "0"))
        handle = str(entity.dxf.get("handle", "?"))
        if kind in {"LWPOLYLINE", "POLYLINE"}:
            if kind == "POLYLINE" and entity.get_mode() not in {"AcDb2dPolyline", "AcDb3dPolyline"}:
                drawing.other("polyface and mesh entities", f"layer {layer!r} handle {handle}")
                continue
            flag_closed = bool(entity.closed if kind == "LWPOLYLINE" else entity.is_closed)
            arcs = _has_arcs(entity, kind)
            try:
                points = dxfpath.make_path(entity).flattening(ARC_SAGITTA_M)
                coords = np.array([(p.x, p.y) for p in points], dtype=float)
            except Exception:  # an entity ezdxf cannot trace
                drawing.other("polylines that cannot be traced", f"layer {layer!r} handle {handle}")
                continue
            if len(coords) < 2:
                drawing.other("polylines of one point", f"layer {layer!r} handle {handle}")
                continue
            if len(np.unique(coords, axis=0)) < 3 and (flag_closed or len(coords) > 2):
                drawing.other(
                    "polylines of fewer than 3 corners", f"layer {layer!r} handle {handle}"
                )
                continue
            span = max(float(np.ptp(coords, axis=0).max()), 1.0)
            same = bool(np.abs(coords[0] - coords[-1]).max() <= _SAME_POINT * span)
            ring = _Ring(coords, layer, handle, arcs, seq=len(drawing.closed) + len(drawing.open))
            if flag_closed or same:
                if not same:
                    ring.coords = np.vstack([coords, coords[:1]])
                drawing.closed.append(ring)
            else:
                ring.gap_m = float(np.hypot(*(coords[-1] - coords[0])))
                drawing.open.append(ring)
        elif kind in {"TEXT", "MTEXT"}:
            drawing.texts.append(_text_of(entity, layer, handle))
        elif kind == "INSERT":
            name = str(entity.dxf.get("name", "?"))
            drawing.other("blocks (INSERT)", f"block {name!r} on layer {layer!r} handle {handle}")
            for attrib in entity.attribs:
                tag = str(attrib.dxf.get("tag", ""))
                text = _text_of(attrib, tag or layer, str(attrib.dxf.get("handle", "?")))
                drawing.texts.append(text)
        elif kind in {"LINE", "ARC", "SPLINE"}:
            drawing.other("open lines", f"{kind} on layer {layer!r} handle {handle}")
        else:
            drawing.other(f"{kind} entities", f"layer {layer!r} handle {handle}")
    for text in drawing.texts:
        _classify(text)
    return drawing


def _has_arcs(entity: Any, kind: str) -> bool:
    if kind == "LWPOLYLINE":
        return bool(entity.has_arc)
    return any(abs(v.dxf.get("bulge", 0.0)) > 0 for v in entity.vertices)


def _text_of(entity: Any, layer: str, handle: str) -> _Text:
    kind = entity.dxftype()
    if kind == "MTEXT":
        text = entity.plain_text()
        x, y = entity.dxf.insert.x, entity.dxf.insert.y
    else:
        text = entity.plain_text()
        align, p1, p2 = entity.get_placement()
        anchor = p2 if (p2 is not None and align.name not in {"LEFT"}) else p1
        x, y = anchor.x, anchor.y
    return _Text(" ".join(str(text).split()), float(x), float(y), layer, handle)


def _classify(text: _Text) -> None:
    """Say whether a text is an id, a name, a boundary-point number or something else."""
    layer = text.layer.lower()
    prefixed = _PREFIX.match(text.text)
    if prefixed:
        text.text = prefixed.group(2).strip()
        text.role = "id" if prefixed.group(1) in _ID_PREFIXES else "name"
        text.strong = True
    elif not text.text:
        text.role = "other"
    elif layer in POINT_LAYERS or _POINT_NUMBER.match(text.text):
        text.role = "point"
    elif layer in ID_LAYERS:
        text.role, text.strong = "id", True
    elif layer in NAME_LAYERS:
        text.role, text.strong = "name", True
    elif _ID_SHAPE.match(text.text) and any(c.isdigit() for c in text.text):
        text.role = "id"
    elif _CJK.search(text.text):
        text.role = "name"


def _parcel_layer(path: Path, drawing: _Drawing, layer: str | None, decisions: list[str]) -> str:
    counts = Counter(r.layer for r in drawing.closed)
    listing = ", ".join(f"{name!r} ({n})" for name, n in counts.most_common())
    if layer is not None:
        if counts.get(layer) or any(r.layer == layer for r in drawing.open):
            decisions.append(f"CAD layer {layer!r}: the parcels' boundaries, as chosen")
            return layer
        found = f"closed polylines lie on {listing}" if counts else "it has no closed polyline"
        found_zh = f"闭合多段线位于图层 {listing}" if counts else "图中没有闭合多段线"
        msg = f"{path}: no closed polyline on CAD layer {layer!r}; {found}"
        raise InputError(msg, zh=f"{path}：图层 {layer!r} 上没有闭合多段线；{found_zh}")
    if not counts:
        msg = (
            f"{path}: the drawing holds no closed polyline, so no parcel; parcels are closed "
            "LWPOLYLINE/POLYLINE boundaries (close them in CASS, or give the layer as PATH:LAYER)"
        )
        zh = (
            f"{path}：图中没有闭合多段线，读不出地块；地块须为闭合的 LWPOLYLINE/POLYLINE 边界"
            "（请在 CASS 中闭合）"
        )
        raise InputError(msg, zh=zh)
    if len(counts) > 1:
        first = counts.most_common(1)[0][0]
        msg = (
            f"{path}: closed polylines lie on {len(counts)} CAD layers: {listing}; choose the "
            f"layer of the parcels' boundaries as {path}:{first}"
        )
        zh = (
            f"{path}：闭合多段线分布在 {len(counts)} 个图层：{listing}；请指明宗地界线所在图层，"
            f"写成 {path}:{first}"
        )
        raise InputError(msg, zh=zh)
    only = next(iter(counts))
    decisions.append(f"CAD layer {only!r}: the only one holding closed polylines ({counts[only]})")
    return only


@dataclass
class _Parcel:
    row: dict[str, Any]
    geometry: Any
    warning: tuple[str, str, str] | None = None


def _parcels(
    path: Path, rings: list[_Ring], drawing: _Drawing, decisions: list[str]
) -> list[_Parcel]:
    """Rings to parcels: islands become holes, texts inside give ids and names."""
    polygons = np.array([shapely.Polygon(r.coords) for r in rings], dtype=object)
    n = len(polygons)
    tree = shapely.STRtree(polygons)
    inner, outer = tree.query(polygons, predicate="within")
    keep = inner != outer
    inner, outer = inner[keep], outer[keep]
    depth = np.bincount(inner, minlength=n)
    areas = shapely.area(polygons)
    parent = np.full(n, -1)
    for i in np.unique(inner):
        around = outer[inner == i]
        parent[i] = around[np.argmin(areas[around])]
    children: dict[int, list[int]] = {}
    for i in range(n):
        if parent[i] >= 0:
            children.setdefault(int(parent[i]), []).append(i)
    shapes = np.array(
        [
            shapely.Polygon(rings[i].coords, [rings[c].coords for c in children.get(i, [])])
            for i in range(n)
        ],
        dtype=object,
    )
    texts = [t for t in drawing.texts if t.role in {"id", "name"}]
    points = shapely.points([(t.x, t.y) for t in texts]) if texts else np.array([], dtype=object)
    inside: dict[int, list[_Text]] = {}
    used: set[int] = set()
    if texts:
        shape_tree = shapely.STRtree(shapes)
        text_idx, shape_idx = shape_tree.query(points, predicate="within")
        for t, s in zip(text_idx.tolist(), shape_idx.tolist(), strict=True):
            inside.setdefault(s, []).append(texts[t])
            used.add(t)
    outside = [t for i, t in enumerate(texts) if i not in used]
    for text in outside:
        drawing.other("texts outside every parcel", f"{text.text!r} on layer {text.layer!r}")
    points_labels = [t for t in drawing.texts if t.role == "point"]
    if points_labels:
        decisions.append(
            f"{len(points_labels)} boundary-point number(s) (界址点号 such as "
            f"{points_labels[0].text!r}) not used as ids"
        )
    for text in drawing.texts:
        if text.role == "other":
            drawing.other("texts that are neither an id nor a name", f"{text.text!r}")
    ambiguous: list[str] = []
    ambiguous_zh: list[str] = []
    made: list[tuple[int, str | None, str | None, tuple[str, str, str] | None]] = []
    holes = 0
    for i in range(n):
        held = inside.get(i, [])
        ids = _candidates(held, "id")
        names = _candidates(held, "name")
        if depth[i] % 2 == 1 and not ids:
            holes += 1
            continue  # an island without an id of its own: only a hole of its parent
        if len(ids) > 1:
            shown = " and ".join(repr(v) for v in ids)
            ambiguous.append(f"the polygon with handle {rings[i].handle} holds {shown}")
            ambiguous_zh.append(f"句柄 {rings[i].handle} 的多边形内有 {shown}")
            continue
        warning = None
        if len(names) > 1:
            warning = (
                "doubtful_value",
                f"two or more name texts inside its boundary ({', '.join(map(repr, names))}); "
                "all kept as its name; keep one in the drawing",
                f"界线内有多个名称注记（{'、'.join(map(repr, names))}），已全部作为名称保留；"
                "请在图中只保留一个",
            )
        made.append((i, ids[0] if ids else None, "；".join(names) or None, warning))
    if ambiguous:
        msg = (
            f"{path}: {len(ambiguous)} parcel(s) hold two different id texts, so their ids "
            f"cannot be told: {'; '.join(ambiguous[:10])}. Keep one id text inside each "
            "boundary, or put the ids on their own CAD layer (ZDH)"
        )
        zh = (
            f"{path}：有 {len(ambiguous)} 个地块内有两个不同的编号注记，无法确定编号："
            f"{'；'.join(ambiguous_zh[:10])}。请在每个界线内只保留一个编号注记，"
            "或把编号放在单独的图层（ZDH）上"
        )
        raise InputError(msg, zh=zh)
    if holes:
        decisions.append(
            f"{holes} closed polyline(s) inside another, without an id of their own, taken "
            "as holes (islands) of the parcel around them"
        )
    return _merged(made, shapes, rings, decisions)


def _candidates(texts: list[_Text], role: str) -> list[str]:
    found = [t for t in texts if t.role == role]
    if any(t.strong for t in found):
        found = [t for t in found if t.strong]
    return list(dict.fromkeys(t.text for t in found))


def _merged(
    made: list[tuple[int, str | None, str | None, tuple[str, str, str] | None]],
    shapes: np.ndarray,
    rings: list[_Ring],
    decisions: list[str],
) -> list[_Parcel]:
    """One parcel per id: boundaries with the same id text are the parts of one parcel."""
    groups: dict[Any, list[int]] = {}
    for k, (_, ident, _, _) in enumerate(made):
        groups.setdefault(ident if ident is not None else ("no id", k), []).append(k)
    out: list[_Parcel] = []
    without: list[str] = []
    curved: list[str] = []
    for members in groups.values():
        parts = [made[k] for k in members]
        idx = [p[0] for p in parts]
        geometry = shapes[idx[0]] if len(idx) == 1 else shapely.MultiPolygon(list(shapes[idx]))
        ident = parts[0][1]
        names = list(dict.fromkeys(p[2] for p in parts if p[2]))
        handles = ",".join(rings[i].handle for i in idx)
        if len(idx) > 1:
            decisions.append(
                f"id {ident!r}: {len(idx)} boundaries (handles {handles}) as one parcel"
            )
        if ident is None:
            without.append(f"handle {handles}")
        warning = next((p[3] for p in parts if p[3] is not None), None)
        if any(rings[i].arcs for i in idx):
            curved.append(ident or f"handle {handles}")
            if warning is None:
                warning = (
                    "curved_geometry",
                    f"its boundary has arcs (bulges), cut into chords at most {ARC_SAGITTA_M} m "
                    "from the arc",
                    f"界线含圆弧（凸度），已按弦高不超过 {ARC_SAGITTA_M} 米折线化",
                )
        gaps = [rings[i].gap_m for i in idx if rings[i].gap_m > 0]
        if gaps and warning is None:
            gap = max(gaps)
            warning = (
                "unclosed_ring",
                f"its polyline was not closed (ends {gap:.3f} m apart); closed by repeating its "
                "first point, and measured so; close it in CASS",
                f"其多段线未闭合（首末点相距 {gap:.3f} 米）；已重复首点将其闭合并按此计算面积；"
                "请在 CASS 中闭合",
            )
        row = {
            "parcel_id": ident,
            "name": "；".join(names) or None,
            "dxf_layer": rings[idx[0]].layer,
            "dxf_handle": handles,
        }
        out.append(_Parcel(row, geometry, warning))
    if without:
        decisions.append(
            f"{len(without)} parcel(s) hold no id text: {', '.join(without[:_EXAMPLES])}"
            + (f" and {len(without) - _EXAMPLES} more" if len(without) > _EXAMPLES else "")
        )
    if curved:
        decisions.append(
            f"{len(curved)} parcel(s) have arcs, cut into chords at most {ARC_SAGITTA_M} m off"
        )
    return out


def _report_others(drawing: _Drawing, decisions: list[str]) -> None:
    for kind, examples in drawing.others.items():
        shown = "; ".join(examples[:_EXAMPLES])
        more = f" and {len(examples) - _EXAMPLES} more" if len(examples) > _EXAMPLES else ""
        decisions.append(f"not parcels: {len(examples)} {kind} ({shown}{more})")


def _where(ring: _Ring) -> str:
    return f"layer {ring.layer!r} handle {ring.handle}"


def _no_crs(path: Path, rings: list[_Ring]) -> CRSMissingError:
    hint, hint_zh = "", ""
    if rings:
        xy = np.vstack([r.coords for r in rings])
        guess = suggest_crs((*xy.min(axis=0), *xy.max(axis=0)))
        if guess is not None:
            hint = f" The coordinates would fit --crs EPSG:{guess.to_epsg()} ({guess.name})."
            hint_zh = f"坐标与 --crs EPSG:{guess.to_epsg()}（{guess.name}）相符。"
    msg = (
        f"{path}: a DXF drawing carries no coordinate reference system, and parcels cannot be "
        "measured without one. Give the one the survey company drew in with --crs, e.g. "
        "--crs EPSG:4523 (CGCS2000 3-degree Gauss-Kruger zone 35, eastings like 35xxxxxx) or "
        f"--crs EPSG:4544 (CM 105E, eastings near 500000).{hint}"
    )
    zh = (
        f"{path}：DXF 图形不带坐标系，没有坐标系就无法量算地块面积。请用 --crs 给出测绘单位"
        "成图所用的坐标系，例如 --crs EPSG:4523（CGCS2000 3度带第35带，横坐标形如 35xxxxxx）"
        f"或 --crs EPSG:4544（中央经线 105°E，横坐标约 500000）。{hint_zh}"
    )
    return CRSMissingError(msg, zh=zh)


def write_dxf(
    parcels: gpd.GeoDataFrame,
    path: str | Path,
    *,
    crs: str | int | CRS | None = None,
    parcel_layer: str = "ZD",
    id_layer: str = "ZDH",
    name_layer: str = "ZDMC",
    text_height: float = 2.0,
) -> CRS:
    """Write parcels as a CASS-style drawing: closed LWPOLYLINEs with their id and name.

    Parameters
    ----------
    parcels
        Parcels with a CRS, a ``parcel_id`` and (optionally) a ``name`` column.
    path
        The ``.dxf`` to write (atomically).
    crs
        The projected CRS to draw in; by default the parcels' own CRS when it
        is a Transverse Mercator (Gauss-Kruger) one in metres, else the
        CGCS2000 3-degree Gauss-Kruger zone of their centre.
    parcel_layer, id_layer, name_layer
        The CAD layers of the boundaries, the ids and the names.
    text_height
        Height of the texts, in metres.

    Returns
    -------
    pyproj.CRS
        The CRS the drawing is in (a DXF cannot say it: tell the reader).

    Raises
    ------
    CRSMissingError
        When the parcels have no CRS.
    """
    from parkgis.io.writing import atomic_path

    ezdxf = _ezdxf()
    from ezdxf.enums import TextEntityAlignment

    if parcels.crs is None:
        msg = "the parcels have no CRS, so they cannot be drawn in Gauss-Kruger metres"
        raise CRSMissingError(msg, zh="地块没有坐标系，无法按高斯-克吕格坐标（米）成图")
    target = _drawing_crs(parcels, crs)
    local = parcels.to_crs(target)
    doc = ezdxf.new("R2010")
    doc.header["$INSUNITS"] = 6  # metres
    for name, colour in ((parcel_layer, 1), (id_layer, 7), (name_layer, 3)):
        doc.layers.add(name, color=colour)
    msp = doc.modelspace()
    ids = local["parcel_id"] if "parcel_id" in local.columns else pd.Series([None] * len(local))
    names = local["name"] if "name" in local.columns else pd.Series([None] * len(local))
    for geom, ident, name in zip(local.geometry, ids, names, strict=True):
        if geom is None or geom.is_empty:
            continue
        for polygon in shapely.get_parts(geom):
            if polygon.geom_type != "Polygon":
                continue
            for ring in (polygon.exterior, *polygon.interiors):
                xy = np.asarray(ring.coords)[:-1, :2]
                msp.add_lwpolyline(xy.tolist(), close=True, dxfattribs={"layer": parcel_layer})
            spot = polygon.representative_point()
            labels = [(ident, id_layer), (name, name_layer)]
            for k, (text, layer) in enumerate(t for t in labels if _present(t[0])):
                where = shapely.Point(spot.x, spot.y - 1.5 * text_height * k)
                if not polygon.contains(where):
                    where = spot
                msp.add_text(
                    str(text), height=text_height, dxfattribs={"layer": layer}
                ).set_placement((where.x, where.y), align=TextEntityAlignment.MIDDLE_CENTER)
    with atomic_path(Path(path)) as tmp:
        doc.saveas(tmp)
    return target


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and value != ""


def _drawing_crs(parcels: gpd.GeoDataFrame, crs: str | int | CRS | None) -> CRS:
    if crs is not None:
        return CRS.from_user_input(crs)
    own = CRS.from_user_input(parcels.crs)
    method = own.coordinate_operation.method_name.lower() if own.coordinate_operation else ""
    unit = own.axis_info[0].unit_name if own.axis_info else ""
    if own.is_projected and "transverse mercator" in method and unit == "metre":
        return own
    lon0, _, lon1, _ = lonlat_bounds(tuple(parcels.geometry.total_bounds), own)
    return local_gk_crs((lon0 + lon1) / 2)
