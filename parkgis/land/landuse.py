"""Land use under each parcel, from the third national land survey (三调), in mu.

The 三调 land-use patches (layer ``DLTB``: ``DLBM`` class code, ``DLMC`` class
name) are intersected with the parcels, and each piece is measured on the
GRS80 ellipsoid (:func:`parkgis.measure.area.area_m2`). As in
:mod:`parkgis.land.buildable`, an STRtree of the parcels (in their own CRS)
is queried with the patches' envelopes, and only the pairs found are
projected to the local CGCS2000 Gauss-Kruger zone and intersected there.

Groups (GB/T 21010-2017 and the 三调 working classification), by the first
two digits of ``DLBM`` (suffixes such as ``K`` 可调整 or ``05H1`` are
allowed):

- ``cultivated`` 耕地 01, ``garden`` 园地 02, ``forest`` 林地 03,
  ``grassland`` 草地 04;
- ``construction`` 建设用地: 05 商服, 06 工矿, 07 住宅, 08 公共管理与公共服务,
  09 特殊, 10 交通运输, except 1006 农村道路; and 1109 水工建筑用地 and 1201
  空闲地 — the construction land of the Land Administration Law's three
  categories (GB/T 21010-2017, Appendix: correspondence with 农用地 /
  建设用地 / 未利用地);
- ``water`` 水域及水利设施用地 11 (except 1109);
- ``other`` 其他土地 12 (except 1201), and 1006 农村道路.

Beside them, the Law's three categories: ``agricultural_mu`` 农用地 (01–04
except 0404 其他草地, and 1006, 1103, 1104, 1107, 1202, 1203: the land whose
taking needs 农用地转用), the construction land above, and ``unused_mu``
未利用地 (0404, 1101, 1102, 1105, 1106, 1108, 1110, 1204–1207).

A patch whose ``DLBM`` is missing or not a GB/T 21010 class is not guessed:
its land is counted as ``unclassified_mu`` and listed in the problems. Land of
a parcel that no patch covers is ``uncovered_mu`` (the layer does not reach
it), so that for every parcel the groups, ``unclassified_mu`` and
``uncovered_mu`` add up to ``gross_mu``. Patches that overlap (a 三调 layer
has none) would count land twice: they are refused.

Permanent basic farmland (永久基本农田, ``YJJBNTTB``) and the ecological red
line (生态保护红线) are measured as the land of each parcel inside the union
of their polygons: ``farmland_mu`` and ``redline_mu``.

Pure: no files, no printing.
"""

from __future__ import annotations

import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from parkgis.errors import CRSMissingError, DataError
from parkgis.measure.area import area_m2, equal_area_crs
from parkgis.measure.crs import local_gk_crs, lonlat_bounds
from parkgis.measure.units import SQM_PER_MU

__all__ = [
    "GROUPS",
    "landuse_class",
    "landuse_figures",
    "landuse_pieces",
    "landuse_table",
]

GROUPS: dict[str, tuple[str, str]] = {
    "cultivated": ("耕地", "Cultivated land"),
    "garden": ("园地", "Garden land"),
    "forest": ("林地", "Forest land"),
    "grassland": ("草地", "Grassland"),
    "construction": ("建设用地", "Construction land"),
    "water": ("水域及水利设施用地", "Water and water facilities"),
    "other": ("其他土地", "Other land"),
}
"""The land-use groups of the table, in order: code -> (Chinese, English)."""

_BY_PREFIX = {
    "01": "cultivated",
    "02": "garden",
    "03": "forest",
    "04": "grassland",
    **{f"{k:02d}": "construction" for k in range(5, 11)},
    "11": "water",
    "12": "other",
}
_EXCEPTIONS = {"1006": "other", "1109": "construction", "1201": "construction"}
_AGRICULTURAL_EXTRA = {"1006", "1103", "1104", "1107", "1202", "1203"}
_UNUSED = {"0404", "1101", "1102", "1105", "1106", "1108", "1110", "1204", "1205", "1206", "1207"}
_CODE = re.compile(r"^(\d{2})[0-9A-Z]{2}[0-9A-Z]*$")  # 0101, 0201K, 05H1, 08H2A
_FIELDS = {"dlbm": ("dlbm", "地类编码"), "dlmc": ("dlmc", "地类名称")}
_TABLE_COLUMNS = ["parcel_id", "name", "zone", "acquisition_status"]
_NOISE = 1e-9  # relative: land left uncovered by less than this is the projection's rounding


def landuse_class(dlbm: object) -> tuple[str, str] | None:
    """The group and the Law's category of a ``DLBM`` code, or None if it is not one.

    Examples
    --------
    >>> landuse_class("0101")
    ('cultivated', 'agricultural')
    >>> landuse_class("1006")
    ('other', 'agricultural')
    >>> landuse_class("05H1")
    ('construction', 'construction')
    >>> landuse_class("99") is None
    True
    """
    if dlbm is None or (isinstance(dlbm, float) and np.isnan(dlbm)):
        return None
    text = str(dlbm).strip().upper()
    match = _CODE.match(text)
    if not match or match.group(1) not in _BY_PREFIX:
        return None
    code4 = text[:4]
    group = _EXCEPTIONS.get(code4, _BY_PREFIX[match.group(1)])
    if group == "construction":
        category = "construction"
    elif code4 in _UNUSED:
        category = "unused"
    elif match.group(1) in {"01", "02", "03", "04"} or code4 in _AGRICULTURAL_EXTRA:
        category = "agricultural"
    else:  # the rest of 11 and 12: rivers, lakes, shoals, bare land
        category = "unused"
    return group, category


def _field(frame: pd.DataFrame, which: str, *, required: bool, where: str) -> str | None:
    wanted = _FIELDS[which]
    for column in frame.columns:
        if str(column).strip().lower() in wanted:
            return str(column)
    if required:
        columns = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
        msg = (
            f"{where}: no {which.upper()} field (地类编码) among its fields ({columns}); "
            "give the 三调 land-use layer DLTB"
        )
        zh = (
            f"{where}：字段中没有 {which.upper()}（地类编码）（现有：{columns}）；"
            "请给出三调地类图斑层 DLTB"
        )
        raise DataError(msg, zh=zh)
    return None


def _metric(parcels: gpd.GeoDataFrame) -> CRS:
    lon0, _, lon1, _ = lonlat_bounds(tuple(parcels.geometry.total_bounds), parcels.crs)
    return local_gk_crs((lon0 + lon1) / 2)


def _pairs(
    parcels: gpd.GeoDataFrame, layer: gpd.GeoDataFrame, metric: CRS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overlapping (parcel, feature) position pairs and their intersections in ``metric``."""
    geoms = np.asarray(parcels.geometry.array, dtype=object)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    tree = shapely.STRtree(np.where(present, geoms, None))
    kept = np.flatnonzero(~layer.geometry.isna().to_numpy())
    features = layer.geometry.iloc[kept]
    if not len(features) or not present.any():
        return np.array([], int), np.array([], int), np.array([], dtype=object)
    envelopes = gpd.GeoSeries(
        shapely.segmentize(features.envelope.to_crs(metric).array, 20.0), crs=metric
    )
    boxes = shapely.envelope(np.asarray(envelopes.to_crs(parcels.crs).array, dtype=object))
    boxes = shapely.buffer(boxes, 1e-9 * (1 + np.abs(shapely.bounds(boxes)).max()), join_style=2)
    feature_idx, parcel_idx = tree.query(boxes)
    if not len(parcel_idx):
        return np.array([], int), np.array([], int), np.array([], dtype=object)
    f_pos = kept[feature_idx]
    p_local = np.asarray(parcels.geometry.iloc[parcel_idx].to_crs(metric).array, dtype=object)
    f_local = np.asarray(layer.geometry.iloc[f_pos].to_crs(metric).array, dtype=object)
    pieces = shapely.intersection(p_local, f_local)
    hit = ~shapely.is_empty(pieces) & (shapely.area(pieces) > 0)
    return parcel_idx[hit], f_pos[hit], pieces[hit]


def _check_valid(layer: gpd.GeoDataFrame, what: str) -> None:
    geoms = layer.geometry
    bad = np.flatnonzero(~geoms.isna().to_numpy() & ~geoms.is_valid.to_numpy())
    if len(bad):
        shown = ", ".join(str(int(p) + 1) for p in bad[:10])
        msg = (
            f"the {what} layer has {len(bad)} invalid polygon(s) (features {shown}): their "
            "overlay with the parcels would be unreliable; repair them (QGIS: Fix geometries)"
        )
        zh = (
            f"{what}图层有 {len(bad)} 个无效多边形（第 {shown} 个要素），与地块叠加的结果不可靠；"
            "请先修复（QGIS：修复几何图形）"
        )
        raise DataError(msg, zh=zh)


def landuse_pieces(
    parcels: gpd.GeoDataFrame,
    landuse: gpd.GeoDataFrame,
    *,
    crs: CRS | str | int | None = None,
    area_crs: CRS | str | None = None,
) -> pd.DataFrame:
    """Each piece of a parcel on one land-use patch: its class and mu.

    Parameters
    ----------
    parcels
        Parcels with a CRS and ``parcel_id``.
    landuse
        三调 land-use patches (``DLTB``) with ``DLBM`` (and ``DLMC``), in any CRS.
    crs
        The metric CRS to intersect in; by default the local CGCS2000
        Gauss-Kruger zone of the parcels.
    area_crs
        The equal-area CRS the pieces are measured in (default: the parcels').

    Returns
    -------
    pandas.DataFrame
        One row per piece: ``row`` (parcel position), ``parcel_id``,
        ``patch`` (patch position, from 1), ``dlbm``, ``dlmc``, ``group``,
        ``category`` (None for an unknown code), ``mu``.

    Raises
    ------
    CRSMissingError
        When a layer has no CRS.
    DataError
        When the land-use layer has no DLBM field or invalid polygons.
    """
    for layer, what in ((parcels, "parcels"), (landuse, "land-use")):
        if layer.crs is None:
            raise CRSMissingError(f"the {what} layer has no CRS; set one (e.g. EPSG:4490)")
    columns = ["row", "parcel_id", "patch", "dlbm", "dlmc", "group", "category", "mu"]
    if not len(parcels) or not len(landuse):
        return pd.DataFrame(columns=columns)
    dlbm = _field(landuse, "dlbm", required=True, where="the land-use layer")
    dlmc = _field(landuse, "dlmc", required=False, where="the land-use layer")
    _check_valid(landuse, "land-use")
    metric = CRS.from_user_input(crs) if crs is not None else _metric(parcels)
    if area_crs is None:
        area_crs = equal_area_crs(parcels.geometry)
    rows, feats, pieces = _pairs(parcels, landuse, metric)
    sqm = area_m2(gpd.GeoSeries(pieces, crs=metric), crs=area_crs).to_numpy()
    codes = landuse[dlbm].to_numpy(dtype=object)[feats]
    classes = [landuse_class(c) for c in codes]
    ids = parcels["parcel_id"].to_numpy(dtype=object) if "parcel_id" in parcels else rows + 1
    out = pd.DataFrame(
        {
            "row": rows,
            "parcel_id": np.asarray(ids, dtype=object)[rows] if len(rows) else [],
            "patch": feats + 1,
            "dlbm": [None if c is None or c != c else str(c).strip() for c in codes],
            "dlmc": landuse[dlmc].to_numpy(dtype=object)[feats] if dlmc else None,
            "group": [k[0] if k else None for k in classes],
            "category": [k[1] if k else None for k in classes],
            "mu": sqm / SQM_PER_MU,
        },
        columns=columns,
    )
    _check_overlaps(parcels, rows, pieces, metric, area_crs, out)
    return out


def _check_overlaps(
    parcels: gpd.GeoDataFrame,
    rows: np.ndarray,
    pieces: np.ndarray,
    metric: CRS,
    area_crs: Any,
    out: pd.DataFrame,
) -> None:
    """Refuse patches that overlap under a parcel: their land would be counted twice."""
    counts = np.bincount(rows, minlength=len(parcels)) if len(rows) else np.array([])
    for row in np.flatnonzero(counts > 1):
        mine = rows == row
        union = shapely.union_all(pieces[mine])
        whole = float(area_m2(gpd.GeoSeries([union], crs=metric), crs=area_crs).iloc[0])
        parts = float(out.loc[mine, "mu"].sum()) * SQM_PER_MU
        if parts - whole > 1e-6 * whole + 0.01:
            patches = ", ".join(str(p) for p in out.loc[mine, "patch"].tolist()[:10])
            ident = out.loc[mine, "parcel_id"].iloc[0]
            msg = (
                f"land-use patches {patches} overlap under parcel {ident} "
                f"({(parts - whole) / SQM_PER_MU:.4f} mu would be counted twice); a 三调 DLTB "
                "layer has no overlaps: check that one layer was given, and repair it"
            )
            zh = (
                f"地类图斑 {patches} 在地块 {ident} 下相互重叠（{(parts - whole) / SQM_PER_MU:.4f} "
                "亩会被重复计算）；三调 DLTB 图层不应有重叠：请确认只给了一个图层，并修复"
            )
            raise DataError(msg, zh=zh)


def _inside_mu(
    parcels: gpd.GeoDataFrame, layer: gpd.GeoDataFrame | None, metric: CRS, area_crs: Any
) -> np.ndarray:
    """Mu of each parcel inside the union of ``layer``'s polygons (zeros without a layer)."""
    out = np.zeros(len(parcels))
    if layer is None or not len(layer) or not len(parcels):
        return out
    if layer.crs is None:
        raise CRSMissingError("a constraint layer (farmland, red line) has no CRS; set one")
    rows, _, pieces = _pairs(parcels, layer, metric)
    for row in np.unique(rows):
        merged = shapely.union_all(pieces[rows == row])
        sqm = area_m2(gpd.GeoSeries([merged], crs=metric), crs=area_crs).iloc[0]
        out[row] = sqm / SQM_PER_MU
    return out


def landuse_table(
    parcels: gpd.GeoDataFrame,
    landuse: gpd.GeoDataFrame,
    *,
    farmland: gpd.GeoDataFrame | None = None,
    redline: gpd.GeoDataFrame | None = None,
    pieces: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Mu of each land-use group, of the Law's categories, of farmland and red line, per parcel.

    Parameters
    ----------
    parcels
        Parcels with a CRS.
    landuse
        三调 land-use patches (``DLTB``), any CRS.
    farmland
        Permanent basic farmland polygons (``YJJBNTTB``), if given.
    redline
        Ecological red line polygons, if given.
    pieces
        :func:`landuse_pieces` computed already.

    Returns
    -------
    pandas.DataFrame
        Aligned with the parcels: ``parcel_id``, ``name``, ``zone``,
        ``acquisition_status``, ``gross_mu``, one ``<group>_mu`` per
        :data:`GROUPS`, ``unclassified_mu``, ``uncovered_mu``,
        ``agricultural_mu``, ``unused_mu``, ``farmland_mu``, ``redline_mu``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> parcel = gpd.GeoDataFrame({"parcel_id": ["A"]},
    ...     geometry=[box(500_000, 3_580_000, 500_100, 3_580_100)], crs=4544)
    >>> dltb = gpd.GeoDataFrame({"DLBM": ["0101", "0601"]}, crs=4544, geometry=[
    ...     box(500_000, 3_580_000, 500_050, 3_580_100),
    ...     box(500_050, 3_580_000, 500_100, 3_580_100)])
    >>> row = landuse_table(parcel, dltb).iloc[0]
    >>> [round(float(row[c]), 6) for c in ("cultivated_mu", "construction_mu", "uncovered_mu")]
    [7.5, 7.5, 0.0]
    """
    if parcels.crs is None:
        raise CRSMissingError("the parcels have no CRS, so no area can be measured; set one")
    out = pd.DataFrame(
        {c: parcels[c] if c in parcels.columns else None for c in _TABLE_COLUMNS},
        index=parcels.index,
    ).astype(object)
    area_crs = equal_area_crs(parcels.geometry) if len(parcels) else None
    gross = area_m2(parcels.geometry, crs=area_crs).to_numpy() / SQM_PER_MU if len(parcels) else []
    out["gross_mu"] = np.nan_to_num(np.asarray(gross, dtype=float))
    if pieces is None:
        pieces = landuse_pieces(parcels, landuse, area_crs=area_crs)
    n = len(parcels)

    def summed(mask: pd.Series) -> np.ndarray:
        chosen = pieces[mask]
        return np.bincount(chosen["row"].to_numpy(dtype=int), chosen["mu"].to_numpy(float), n)

    for group in GROUPS:
        out[f"{group}_mu"] = summed(pieces["group"] == group)
    out["unclassified_mu"] = summed(pieces["group"].isna())
    covered = summed(pd.Series(True, index=pieces.index))
    gross_mu = out["gross_mu"].to_numpy(float)
    uncovered = gross_mu - covered
    # Pieces and parcel are projected vertex by vertex: they differ by ~1e-11 of the area.
    out["uncovered_mu"] = np.where(uncovered > _NOISE * gross_mu, uncovered, 0.0)
    out["agricultural_mu"] = summed(pieces["category"] == "agricultural")
    out["unused_mu"] = summed(pieces["category"] == "unused")
    metric = _metric(parcels) if n else None
    out["farmland_mu"] = _inside_mu(parcels, farmland, metric, area_crs) if n else []
    out["redline_mu"] = _inside_mu(parcels, redline, metric, area_crs) if n else []
    return out


def landuse_figures(
    parcels: gpd.GeoDataFrame,
    landuse: gpd.GeoDataFrame,
    *,
    farmland: gpd.GeoDataFrame | None = None,
    redline: gpd.GeoDataFrame | None = None,
) -> dict[str, Any]:
    """The land-use check as figures: per parcel, by DLBM, totals, farmland parcels, problems.

    Returns
    -------
    dict
        ``parcels`` (records of :func:`landuse_table`), ``by_dlbm`` (mu per
        DLBM code and name, with its group), ``totals`` (mu per column),
        ``farmland_parcels`` (records of the parcels with land inside
        permanent basic farmland), ``redline_parcels``, ``problems``
        (patches whose DLBM is not a class, with their mu), and whether a
        farmland and a red-line layer were given.
    """
    pieces = landuse_pieces(parcels, landuse)
    table = landuse_table(parcels, landuse, farmland=farmland, redline=redline, pieces=pieces)
    by_dlbm = (
        pieces.assign(dlmc=pieces["dlmc"].fillna("") if "dlmc" in pieces else "")
        .groupby(["dlbm", "dlmc"], dropna=False, sort=True)
        .agg(group=("group", "first"), category=("category", "first"), area_mu=("mu", "sum"))
        .reset_index()
    )
    area_columns = [c for c in table.columns if c.endswith("_mu")]
    totals = {c: float(table[c].sum()) for c in area_columns}
    unknown = pieces[pieces["group"].isna()]
    problems = [
        {
            "parcel_id": r.parcel_id,
            "patch": int(r.patch),
            "dlbm": r.dlbm,
            "mu": float(r.mu),
            "message": f"patch {int(r.patch)}: DLBM {r.dlbm!r} is not a GB/T 21010 class; "
            "its land is counted as unclassified",
            "message_zh": f"第 {int(r.patch)} 个图斑：地类编码 {r.dlbm!r} 不是 GB/T 21010 地类，"
            "其面积计入未分类",
        }
        for r in unknown.itertuples()
    ]
    keep = ["parcel_id", "name", "acquisition_status", "gross_mu"]
    return {
        "parcels": table.to_dict(orient="records"),
        "by_dlbm": by_dlbm.to_dict(orient="records"),
        "totals": totals,
        "farmland_given": farmland is not None,
        "redline_given": redline is not None,
        "farmland_parcels": table.loc[table["farmland_mu"] > 0, [*keep, "farmland_mu"]].to_dict(
            orient="records"
        ),
        "redline_parcels": table.loc[table["redline_mu"] > 0, [*keep, "redline_mu"]].to_dict(
            orient="records"
        ),
        "problems": problems,
    }
