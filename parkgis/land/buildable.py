"""Net buildable land: each parcel minus the union of its constraint corridors, in mu.

Every constraint is buffered by its setback (:mod:`parkgis.land.constraints`) in
the local CGCS2000 3-degree Gauss-Kruger zone of the parcels; a polygon
constraint takes itself plus its setback. Long corridors are cut into 1 km
tiles so that their envelopes are tight; an STRtree built on the parcels, in
their own CRS, is queried with the tiles' envelopes (the few large shapes
query the many small ones: the fast direction), and only the parcels found
are projected to the Gauss-Kruger zone and tested against the tiles there.
Each parcel found is then intersected with its whole corridors (the edges of
a tile would add vertices on a corridor's sides and so move its area on the
ellipsoid, by about 1e-6 mu); the pieces of a parcel under several corridors
are merged, so land under two corridors is counted once.

Areas are taken on the GRS80 ellipsoid with :func:`parkgis.measure.area.area_m2`:
the gross area from the parcel as stored, the constrained area from its
intersection with the corridors (measured in an equal-area projection, so
Gauss-Kruger scale does not enter), and the net area is their difference, so
``constrained_mu + net_mu == gross_mu`` for every parcel.

Pure: no files, no printing. Large inputs report progress through a callback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from parkgis.errors import CRSMissingError, DataError
from parkgis.land.constraints import DEFAULT_RULES, ConstraintRules, constraint_setbacks, park_rules
from parkgis.measure.area import area_m2, equal_area_crs
from parkgis.measure.crs import local_gk_crs, lonlat_bounds
from parkgis.measure.units import SQM_PER_MU
from parkgis.model.park import Park
from parkgis.model.vocab import ACQUISITION

__all__ = [
    "Progress",
    "buildable_by",
    "buildable_figures",
    "buildable_table",
    "constraint_corridors",
    "metric_crs",
]

Progress = Callable[[int, int], None]
"""A progress hook: called with (parcels done, parcels in all)."""

Constraints = gpd.GeoDataFrame | Sequence[gpd.GeoDataFrame]

_QUAD_SEGS = 16  # segments per quarter circle of a buffer: 0.16 % short on a full circle
_TILE_M = 1_000.0  # corridors are cut into tiles this size for the candidate search
_TABLE_COLUMNS = ["parcel_id", "zone", "acquisition_status"]
_AREA_COLUMNS = ["gross_mu", "constrained_mu", "net_mu"]


def metric_crs(layer: gpd.GeoDataFrame | gpd.GeoSeries) -> CRS:
    """The CGCS2000 3-degree Gauss-Kruger CRS of the zone holding ``layer``'s centre.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> metric_crs(gpd.GeoSeries([Point(105.96, 32.32)], crs=4490)).to_epsg()
    4544
    """
    geoms = layer.geometry if isinstance(layer, gpd.GeoDataFrame) else layer
    if geoms.crs is None:
        msg = "the layer has no CRS, so no metric CRS can be chosen; set one (e.g. EPSG:4490)"
        zh = "图层没有坐标参考系（CRS），无法选定以米为单位的投影坐标系；请指定一个（如 EPSG:4490）"
        raise CRSMissingError(msg, zh=zh)
    bounds = geoms.total_bounds
    if not np.isfinite(bounds).all():
        raise DataError(
            "the layer has no geometry to choose a metric CRS from",
            zh="图层没有可用的几何图形，无法据此选定以米为单位的投影坐标系",
        )
    lon0, _, lon1, _ = lonlat_bounds(tuple(bounds), geoms.crs)
    return local_gk_crs((lon0 + lon1) / 2)


def constraint_corridors(
    constraints: Constraints,
    rules: ConstraintRules = DEFAULT_RULES,
    *,
    crs: CRS | str | int | None = None,
) -> gpd.GeoSeries:
    """Buffer each constraint by its setback, in a metric CRS.

    Parameters
    ----------
    constraints
        A constraint layer, or several (each in its own CRS, e.g. a line in
        EPSG:4490 and a river in EPSG:4544), with canonical columns.
    rules
        Setbacks for features that carry none (see :func:`constraint_setbacks`).
    crs
        The metric CRS to buffer in; by default the local Gauss-Kruger zone
        of the (first) layer.

    Returns
    -------
    geopandas.GeoSeries
        One corridor per feature, in ``crs``, named ``corridor``: aligned
        with a single layer's index, or numbered 0.. across several layers.

    Raises
    ------
    CRSMissingError
        For a layer without a CRS.
    DataError
        For a feature without geometry, or a line or point whose setback is
        0 m (it would take no land).

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> line = gpd.GeoDataFrame({"kind": ["hv_line"], "corridor_m": [25.0]},
    ...     geometry=[LineString([(590_000, 3_577_000), (590_000, 3_577_300)])], crs=4544)
    >>> corridor = constraint_corridors(line)
    >>> round(float(corridor.area.iloc[0]))  # 50 x 300 m + a 25 m disc of 64 sides (16 964 round)
    16960
    """
    layers = [constraints] if isinstance(constraints, gpd.GeoDataFrame) else list(constraints)
    layers = [layer for layer in layers if len(layer)]
    for i, layer in enumerate(layers):
        if layer.crs is None:
            msg = (
                f"constraint layer {i + 1} has no CRS; set one (the survey's CRS, e.g. "
                f"EPSG:4544, or EPSG:4490) before buffering"
            )
            zh = (
                f"第 {i + 1} 个限制要素图层没有坐标参考系（CRS）；请在缓冲之前指定"
                f"（测量成果的坐标系，如 EPSG:4544，或 EPSG:4490）"
            )
            raise CRSMissingError(msg, zh=zh)
    if crs is None:
        crs = metric_crs(layers[0]) if layers else "EPSG:4490"
    parts = [_buffered(layer, rules, crs) for layer in layers]
    if len(layers) == 1:
        return gpd.GeoSeries(parts[0], index=layers[0].index, crs=crs, name="corridor")
    values = np.concatenate(parts) if parts else np.empty(0, dtype=object)
    return gpd.GeoSeries(values, crs=crs, name="corridor")


def _buffered(layer: gpd.GeoDataFrame, rules: ConstraintRules, crs: Any) -> np.ndarray:
    setbacks = constraint_setbacks(layer, rules)["setback_m"].to_numpy(dtype=float)
    geoms = np.asarray(layer.geometry.to_crs(crs).array, dtype=object)
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        msg = f"{_constraint_where(layer, pos)} has no geometry; draw it or remove the row"
        zh = f"{_constraint_where(layer, pos, 'zh')}没有几何图形；请绘制它，或删除这一行"
        raise DataError(msg, zh=zh)
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
    zero_line = ~polygonal & (setbacks == 0)
    if zero_line.any():
        pos = int(np.flatnonzero(zero_line)[0])
        msg = (
            f"{_constraint_where(layer, pos)} is a line or point with a 0 m setback, so it "
            f"would take no land; give it a setback_m (half its corridor width) or set one "
            f"for its kind in the park's constraints.toml"
        )
        zh = (
            f"{_constraint_where(layer, pos, 'zh')}是线或点，退让距离为 0 m，不会占用任何土地；"
            f"请给它填写 setback_m（走廊宽度的一半），或在园区的 constraints.toml 中为这类要素"
            f"设定退让距离"
        )
        raise DataError(msg, zh=zh)
    out = geoms.copy()
    grow = setbacks > 0
    out[grow] = shapely.buffer(geoms[grow], setbacks[grow], quad_segs=_QUAD_SEGS)
    return out


def _constraint_where(layer: gpd.GeoDataFrame, pos: int, lang: str = "en") -> str:
    table = "限制要素" if lang == "zh" else "constraints"
    row = f"{table}第 {pos + 1} 行" if lang == "zh" else f"{table} row {pos + 1}"
    for key in ("constraint_id", "name"):
        if key in layer.columns and isinstance(layer[key].iloc[pos], str):
            value = layer[key].iloc[pos]
            return f"{row}（{key}={value}）" if lang == "zh" else f"{row} ({key}={value})"
    return row


def buildable_table(
    source: Park | gpd.GeoDataFrame,
    constraints: Constraints | None = None,
    *,
    rules: ConstraintRules | None = None,
    geometry: bool = False,
    progress: Progress | None = None,
    chunk_size: int = 2_000,
    crs: CRS | str | int | None = None,
    area_crs: CRS | str | None = None,
) -> gpd.GeoDataFrame:
    """Gross, constrained and net buildable area of every parcel, in mu, with its geometry.

    Parameters
    ----------
    source
        A park (its parcels, constraints and rules are used), or a parcels layer.
    constraints
        Constraint layer(s) to use instead of the park's; layers may be in
        different CRSs. None with a parcels layer: no constraints.
    rules
        Rules for features without their own setback; by default the park's
        (:func:`parkgis.land.constraints.park_rules`) or the packaged defaults.
    geometry
        Each row's geometry is the parcel's net buildable part (the parcel
        less the constraint corridors) instead of the whole parcel.
    progress
        Called with (parcels done, parcels in all) as the work advances.
    chunk_size
        Parcels handled between two progress calls.
    crs
        The metric CRS to buffer the constraints in; by default
        :func:`metric_crs` of the parcels.
    area_crs
        The equal-area CRS every area is measured in; by default
        :func:`~parkgis.measure.area.equal_area_crs` of the parcels. Give
        both to treat parts of a layer (partitions) exactly as the whole.

    Returns
    -------
    geopandas.GeoDataFrame
        Aligned with the parcels: ``parcel_id``, ``zone``,
        ``acquisition_status`` (None where the layer lacks them), ``gross_mu``,
        ``constrained_mu``, ``net_mu``; ``constrained_mu + net_mu == gross_mu``;
        and ``geometry`` in the parcels' CRS (the parcel, or with
        ``geometry=True`` its net buildable part), so ``.explore()`` and
        ``.to_file()`` work.

    Raises
    ------
    CRSMissingError
        When the parcels or a constraint layer have no CRS.
    DataError
        For a parcel crossed by a corridor whose geometry is invalid (its
        overlay would be unreliable; ``parkgis validate`` says why), or a
        constraint that cannot be buffered.
    """
    if isinstance(source, Park):
        parcels = source.parcels
        if constraints is None:
            constraints = source.constraints
        if rules is None:
            rules = park_rules(source)
    else:
        parcels = source
    rules = DEFAULT_RULES if rules is None else rules
    if parcels.crs is None:
        msg = "the parcels have no CRS, so no area can be measured; set one (e.g. EPSG:4490)"
        zh = "地块没有坐标参考系（CRS），无法量算面积；请指定一个（如 EPSG:4490）"
        raise CRSMissingError(msg, zh=zh)
    n = len(parcels)
    out = pd.DataFrame(
        {c: parcels[c] if c in parcels.columns else None for c in _TABLE_COLUMNS},
        index=parcels.index,
    ).astype(object)
    if area_crs is None and n:
        area_crs = equal_area_crs(parcels.geometry)
    gross = np.zeros(n)
    constrained = np.zeros(n)
    layers = [] if constraints is None else _as_layers(constraints)
    pieces = np.full(n, None, dtype=object)
    local: dict[int, Any] = {}
    if crs is None:
        crs = metric_crs(parcels) if n and layers else None
    elif not (n and layers):
        crs = None
    if crs is not None:
        corridors = np.asarray(constraint_corridors(layers, rules, crs=crs).array, dtype=object)
        tiles, owner = _tiles(corridors)
        tree = shapely.STRtree(np.asarray(parcels.geometry.array, dtype=object))
        tile_idx, parcel_idx = tree.query(_search_boxes(tiles, crs, parcels.crs))
        candidates = np.unique(parcel_idx)
        projected = parcels.geometry.iloc[candidates].to_crs(crs).array
        local = dict(zip(candidates.tolist(), projected, strict=True))
        geoms = np.array([local[i] for i in parcel_idx.tolist()], dtype=object)
        touching = shapely.intersects(geoms, tiles[tile_idx])
        # Each parcel is cut by whole corridors, not by their tiles: a tile's edges would
        # add vertices on the corridor's sides, which move its area on the ellipsoid.
        pairs = np.unique(
            np.column_stack((parcel_idx[touching], owner[tile_idx[touching]])), axis=0
        )
        parcel_idx, corridor_idx = pairs[:, 0], pairs[:, 1]
        _check_valid(local, np.unique(parcel_idx), parcels)
        for start in range(0, n, chunk_size):  # every parcel measured, the crossed ones cut
            stop = min(n, start + chunk_size)
            gross[start:stop] = area_m2(parcels.geometry.iloc[start:stop], crs=area_crs).to_numpy()
            a, b = np.searchsorted(parcel_idx, [start, stop])
            if b > a:
                hit, merged = _merged_pieces(local, corridors, parcel_idx[a:b], corridor_idx[a:b])
                pieces[hit] = merged
                sqm = area_m2(gpd.GeoSeries(merged, crs=crs), crs=area_crs).to_numpy()
                constrained[hit] = np.minimum(np.nan_to_num(sqm), gross[hit])
            if progress is not None:
                progress(stop, n)
    else:
        gross = area_m2(parcels.geometry, crs=area_crs).to_numpy()
        if progress is not None:
            progress(n, n)
    out["gross_mu"] = gross / SQM_PER_MU
    out["constrained_mu"] = constrained / SQM_PER_MU
    out["net_mu"] = (gross - constrained) / SQM_PER_MU
    if not geometry:
        return gpd.GeoDataFrame(out, geometry=parcels.geometry.to_numpy(), crs=parcels.crs)
    net = np.asarray(parcels.geometry.array, dtype=object).copy()
    cut = np.flatnonzero(pieces != None)  # noqa: E711 - elementwise test of an object array
    if len(cut):
        local_cut = np.array([local[i] for i in cut.tolist()], dtype=object)
        diff = gpd.GeoSeries(shapely.difference(local_cut, pieces[cut]), crs=crs)
        net[cut] = np.asarray(diff.to_crs(parcels.crs).array, dtype=object)
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(net, index=parcels.index), crs=parcels.crs)


def _attributes(table: pd.DataFrame) -> pd.DataFrame:
    """A table without its geometry column (a plain DataFrame), for figures and JSON."""
    if isinstance(table, gpd.GeoDataFrame):
        return pd.DataFrame(table.drop(columns=table.geometry.name))
    return table


def _tiles(corridors: np.ndarray, *, size: float = _TILE_M) -> tuple[np.ndarray, np.ndarray]:
    """Cut corridors larger than ``size`` by a ``size`` grid, so their envelopes are tight.

    A diagonal line's corridor has an envelope as large as the park: as one
    piece it would make every parcel a candidate. The tiles only find the
    parcels a corridor may cross; returns the tiles and, for each, the
    position of its corridor.
    """
    out: list[Any] = []
    owner: list[int] = []
    for k, geom in enumerate(corridors):
        x0, y0, x1, y1 = shapely.bounds(geom)
        if x1 - x0 <= size and y1 - y0 <= size:
            out.append(geom)
            owner.append(k)
            continue
        xs = np.arange(np.floor(x0 / size) * size, x1, size)
        ys = np.arange(np.floor(y0 / size) * size, y1, size)
        gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
        cells = shapely.box(gx, gy, gx + size, gy + size)
        shapely.prepare(geom)
        cells = cells[shapely.intersects(geom, cells)]
        parts = shapely.intersection(geom, cells)
        parts = parts[~shapely.is_empty(parts)]
        out.extend(parts)
        owner.extend([k] * len(parts))
    return np.array(out, dtype=object), np.array(owner, dtype=np.intp)


def _search_boxes(tiles: np.ndarray, metric: Any, target: Any) -> np.ndarray:
    """Each tile's envelope in the parcels' CRS, conservatively (densified, 1 m margin)."""
    x0, y0, x1, y1 = shapely.bounds(tiles).T
    boxes = shapely.box(x0 - 1.0, y0 - 1.0, x1 + 1.0, y1 + 1.0)
    if CRS.from_user_input(metric).equals(CRS.from_user_input(target)):
        return boxes
    outline = gpd.GeoSeries(shapely.segmentize(boxes, _TILE_M / 20), crs=metric).to_crs(target)
    bx0, by0, bx1, by1 = shapely.bounds(np.asarray(outline.array, dtype=object)).T
    return shapely.box(bx0, by0, bx1, by1)


def _as_layers(constraints: Constraints) -> list[gpd.GeoDataFrame]:
    layers = [constraints] if isinstance(constraints, gpd.GeoDataFrame) else list(constraints)
    return [layer for layer in layers if len(layer)]


def _merged_pieces(
    local: dict[int, Any],
    corridors: np.ndarray,
    parcel_idx: np.ndarray,
    corridor_idx: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each hit parcel's intersection with the union of its corridors."""
    geoms = np.array([local[i] for i in parcel_idx.tolist()], dtype=object)
    inter = shapely.intersection(geoms, corridors[corridor_idx])
    hit, first, counts = np.unique(parcel_idx, return_index=True, return_counts=True)
    merged = inter[first].copy()
    for k in np.flatnonzero(counts > 1):
        merged[k] = shapely.union_all(inter[first[k] : first[k] + counts[k]])
    return hit, merged


def _check_valid(local: dict[int, Any], hit: np.ndarray, parcels: gpd.GeoDataFrame) -> None:
    if not len(hit):
        return
    geoms = np.array([local[i] for i in hit.tolist()], dtype=object)
    valid = shapely.is_valid(geoms)
    if valid.all():
        return
    bad = hit[~valid]
    ids = parcels["parcel_id"].iloc[bad] if "parcel_id" in parcels.columns else pd.Series(bad + 1)
    reasons = shapely.is_valid_reason(geoms[~valid])
    listed = "; ".join(
        f"parcel {i}: {r}" for i, r in zip(ids.tolist()[:5], reasons[:5], strict=True)
    )
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    msg = (
        f"{len(bad)} parcel(s) crossed by a constraint corridor have an invalid geometry, so "
        f"their net buildable area would be unreliable ({listed}{more}); fix them (parkgis "
        f"validate lists each with its area before and after repair)"
    )
    listed_zh = "；".join(
        f"地块 {i}：{r}" for i, r in zip(ids.tolist()[:5], reasons[:5], strict=True)
    )
    more_zh = f"；另有 {len(bad) - 5} 块" if len(bad) > 5 else ""
    zh = (
        f"有 {len(bad)} 块被限制要素走廊穿过的地块几何图形无效，其净可建设面积不可靠"
        f"（{listed_zh}{more_zh}）；请先修正（parkgis validate 会逐块列出，并给出修复前后的面积）"
    )
    raise DataError(msg, zh=zh)


def buildable_by(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """Sum a :func:`buildable_table` by ``zone`` or ``acquisition_status``.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``count``, ``gross_mu``, ``constrained_mu``, ``net_mu``; the
        status in its chain order, a blank value as ``"(blank)"``.
    """
    if by not in table.columns:
        msg = (
            f"cannot sum by {by!r}: the table has no such field; fields: {', '.join(table.columns)}"
        )
        zh = f"无法按 {by!r} 汇总：表中没有这个字段；现有字段：{'、'.join(table.columns)}"
        raise DataError(msg, zh=zh)
    keys = table[by].astype(object).where(table[by].notna(), "(blank)")
    grouped = table.assign(**{by: keys}).groupby(by, sort=False)
    out = grouped.agg(
        count=("gross_mu", "size"),
        gross_mu=("gross_mu", "sum"),
        constrained_mu=("constrained_mu", "sum"),
        net_mu=("net_mu", "sum"),
    ).reset_index()
    order = (
        {code: i for i, code in enumerate(ACQUISITION.codes)} if by == "acquisition_status" else {}
    )
    out["_order"] = [order.get(v, len(order)) for v in out[by]]
    out = out.sort_values(["_order", by], kind="stable").drop(columns="_order")
    return out.reset_index(drop=True)


def buildable_figures(
    source: Park | gpd.GeoDataFrame,
    constraints: Constraints | None = None,
    *,
    rules: ConstraintRules | None = None,
    progress: Progress | None = None,
    table: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Net buildable land of a park: per parcel, totals, by zone and status, setbacks used.

    ``table`` is the :func:`buildable_table` of the same parcels, constraints
    and rules when it has been computed already (e.g. partition by partition,
    :func:`parkgis.engine.dask.buildable_table`).

    Returns
    -------
    dict
        ``parcels`` (one object per parcel: ``parcel_id``, ``zone``,
        ``acquisition_status``, ``gross_mu``, ``constrained_mu``,
        ``net_mu``), ``total_gross_mu``, ``total_constrained_mu``,
        ``total_net_mu``, ``by_zone``, ``by_status`` and ``constraints`` (each
        constraint's kind, setback in metres and where the setback came from).
    """
    if isinstance(source, Park):
        used = source.constraints if constraints is None else constraints
        used_rules = park_rules(source) if rules is None else rules
    else:
        used = constraints
        used_rules = DEFAULT_RULES if rules is None else rules
    if table is None:
        table = buildable_table(source, used, rules=used_rules, progress=progress)
    layers = [] if used is None else _as_layers(used)
    setbacks = [constraint_setbacks(layer, used_rules) for layer in layers]
    constraint_rows = (
        pd.concat(setbacks, ignore_index=True).to_dict(orient="records") if setbacks else []
    )
    return {
        "parcels": _attributes(table).reset_index(drop=True).to_dict(orient="records"),
        "total_gross_mu": float(table["gross_mu"].sum()),
        "total_constrained_mu": float(table["constrained_mu"].sum()),
        "total_net_mu": float(table["net_mu"].sum()),
        "by_zone": buildable_by(table, "zone").to_dict(orient="records"),
        "by_status": buildable_by(table, "acquisition_status").to_dict(orient="records"),
        "constraints": constraint_rows,
    }
