"""Splitting and merging parcels: the parcels that leave and those that come, checked.

The land office splits a parcel from a survey (分宗测量) or merges
neighbouring parcels (合宗). Either is recorded as ``import --update``
records a newer ledger whose ``derived_from`` column names where each new
parcel came from (:func:`parkgis.model.history.diff_events`): a ``split``
event on the old parcel or a ``merge`` event on the new one, ``retired`` on
the parcels that leave (their rows kept as retired parcels, so ``--as-of``
an earlier date gives them back) and ``added`` on those that come.

:func:`merge_parcels` and :func:`split_parcel` check the change and make the
new parcels; :func:`reshaped` is the park after it and
:func:`reshape_events` its events. What the new parcels' fields hold:

- **merge**: the union of the parcels, which must not overlap (1 m² or
  more) and must share boundaries so that the union is one polygon (a
  corner is not a boundary). Status, step, title, project, zone and land use
  must be the same on every parcel (else: record the changes first); the
  declared area is their sum (when every parcel has one); the status date
  and the expected acquisition are the latest (the whole is in a status
  once every part is); other fields keep a value the parcels share, text
  that differs is joined with "；", a number that differs is left blank
  (the retired parcels keep theirs).
- **split**: each part (a feature of the survey file) keeps the parent's
  fields but its id, and its name and declared area when the file gives
  them; another field of the file must not contradict the parent. The
  parts must cover the parent and stay within it, to within
  :data:`TOLERANCE_MU` or :data:`TOLERANCE_SHARE` of its area (the larger),
  measured on the ellipsoid, and must not overlap each other (1 m²).

Pure: takes a park, returns new frames; no files, no clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from parkgis.errors import DataError
from parkgis.measure.area import area_m2
from parkgis.measure.units import SQM_PER_MU
from parkgis.model.park import Park
from parkgis.model.values import as_date, id_text, ids_text, is_blank

__all__ = [
    "OVERLAP_M2",
    "TOLERANCE_MU",
    "TOLERANCE_SHARE",
    "Reshape",
    "held_error",
    "merge_parcels",
    "reshape_events",
    "reshaped",
    "split_parcel",
]

TOLERANCE_MU = 0.01
"""Parts may differ from their parent by this much (mu), or :data:`TOLERANCE_SHARE`."""

TOLERANCE_SHARE = 0.001
"""Parts may differ from their parent by this share of its area (0.1 %), or :data:`TOLERANCE_MU`."""

OVERLAP_M2 = 1.0
"""Parcels overlapping by this much (m²) or more cannot be merged; parts cannot be split so."""

_SAME = ("acquisition_status", "acquisition_step", "title_status", "project_id", "zone", "land_use")
_LATEST = ("status_date", "expected_acquisition")


@dataclass(frozen=True)
class Reshape:
    """A split or a merge: the parcels that leave the park and those that come.

    Attributes
    ----------
    kind
        ``"split"`` or ``"merge"``.
    gone
        The ids of the parcels that leave (retired).
    parcels
        The new parcels, in the park's CRS and columns, with ``derived_from``.
    notes
        What was derived for the new parcels, in English and Chinese.
    """

    kind: str
    gone: tuple[str, ...]
    parcels: gpd.GeoDataFrame
    notes: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def merge_parcels(
    park: Park, parcel_ids: Sequence[str], new_id: str, *, name: str | None = None
) -> Reshape:
    """Merge neighbouring parcels into one new parcel (合宗).

    Parameters
    ----------
    park
        The park (with its private fields, when they are to be kept).
    parcel_ids
        Two or more parcels that share boundaries.
    new_id
        The merged parcel's id: a new one (not a parcel's of the park, nor a
        retired parcel's).
    name
        The merged parcel's name.

    Raises
    ------
    DataError
        For fewer than two parcels, an unknown, repeated or allocated one, a
        taken id, parcels that overlap or do not form one piece, or fields
        that differ where they must agree.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from parkgis.model.park import Manifest
    >>> parcels = gpd.GeoDataFrame(
    ...     {"parcel_id": ["A", "B"], "acquisition_status": ["acquired", "acquired"],
    ...      "declared_area_mu": [15.0, 15.0]},
    ...     geometry=[box(5e5, 3.58e6, 500_100, 3_580_100), box(500_100, 3.58e6, 500_200,
    ...                                                          3_580_100)], crs="EPSG:4544")
    >>> merged = merge_parcels(Park(Manifest("demo"), parcels), ["A", "B"], "C")
    >>> row = merged.parcels.iloc[0]
    >>> row["parcel_id"], row["derived_from"], float(row["declared_area_mu"]), row.geometry.area
    ('C', 'A,B', 30.0, 20000.0)
    """
    ids = [str(p).strip() for p in parcel_ids]
    if len(ids) < 2 or len(set(ids)) < len(ids):
        msg = "choose two or more different parcels to merge"
        raise DataError(msg, zh="请选择两宗或以上不同的地块进行合并")
    rows = _rows_of(park, ids)
    new_id = _new_id(park, new_id, taken=ids, what="merged parcel", what_zh="合并后的地块")
    _check_free(park, ids)
    parcels = park.parcels.iloc[rows]
    geoms = np.asarray(parcels.geometry.array, dtype=object)
    _check_no_overlap(parcels.geometry, ids, what="parcels to merge", what_zh="待合并的地块")
    union = shapely.union_all(geoms)
    if not isinstance(union, shapely.Polygon):
        groups = _pieces(geoms, ids)
        listed = " | ".join(", ".join(g) for g in groups)
        msg = (
            f"parcels {', '.join(ids)} do not form one piece (groups that share no boundary: "
            f"{listed}); merge only parcels that share boundaries (a corner is not enough)"
        )
        listed_zh = " | ".join("、".join(g) for g in groups)
        zh = (
            f"地块 {'、'.join(ids)} 不相连，不能合并（互不相邻的组：{listed_zh}）；"
            f"只能合并有公共边界的地块（仅角点相接不算）"
        )
        raise DataError(msg, zh=zh)
    notes: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for column in parcels.columns:
        if column in (parcels.geometry.name, "parcel_id", "name", "derived_from"):
            continue
        cells = parcels[column].tolist()
        present = [v for v in cells if not is_blank(v)]
        distinct = list(dict.fromkeys(present))
        if column in _SAME:
            if len(distinct) > 1 or (distinct and len(present) < len(cells)):
                shown = ", ".join(f"{i}={_show(v)}" for i, v in zip(ids, cells, strict=True))
                msg = (
                    f"{column} differs between the parcels to merge ({shown}); record the "
                    f"changes first so that they agree, then merge"
                )
                zh = f"待合并地块的 {column} 不一致（{shown}）；请先记录变更使其一致，再合并"
                raise DataError(msg, zh=zh)
            values[column] = distinct[0] if distinct else None
        elif column == "declared_area_mu":
            numbers = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce")
            known = bool(numbers.notna().all())
            values[column] = float(numbers.sum()) if known else None
            if known:
                notes.append(("declared area: the sum of the parcels'", "申报面积为各宗之和"))
        elif column in _LATEST:
            pairs = zip(ids, cells, strict=True)
            days = [as_date(v, where=f"parcel {i}", what=column) for i, v in pairs]
            known_days = [d for d in days if d is not None]
            values[column] = max(known_days).isoformat() if known_days else None
            if len(set(known_days)) > 1:
                notes.append(
                    (f"{column}: the latest of the parcels'", f"{column} 取各宗中最晚的日期")
                )
        elif len(distinct) <= 1:
            values[column] = distinct[0] if distinct else None
        elif all(isinstance(v, str) for v in distinct):
            values[column] = "；".join(str(v) for v in distinct)
        else:
            values[column] = None
    values.update(parcel_id=new_id, name=_text(name), derived_from=",".join(ids))
    frame = gpd.GeoDataFrame(
        {c: [values.get(c)] for c in [*_columns(parcels), "derived_from"]},
        geometry=[union],
        crs=parcels.crs,
    )
    return Reshape("merge", tuple(ids), frame, tuple(notes))


def split_parcel(park: Park, parcel_id: str, parts: gpd.GeoDataFrame) -> Reshape:
    """Split a parcel into the parts of a survey (分宗测量).

    Parameters
    ----------
    park
        The park (with its private fields, when they are to be kept).
    parcel_id
        The parcel to split.
    parts
        The parts as read from the survey file: a ``parcel_id`` (new ids),
        optionally ``name`` and ``declared_area_mu``; any CRS.

    Raises
    ------
    DataError
        For an unknown or allocated parcel, fewer than two parts, a part
        without an id or with a taken one, a part that cannot be measured,
        parts that overlap, leave part of the parcel out or reach beyond it,
        and a field of the file that contradicts the parcel's.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from parkgis.model.park import Manifest
    >>> parcels = gpd.GeoDataFrame({"parcel_id": ["A"], "acquisition_status": ["acquired"]},
    ...                            geometry=[box(5e5, 3.58e6, 500_200, 3_580_100)], crs=4544)
    >>> parts = gpd.GeoDataFrame({"parcel_id": ["A1", "A2"]}, crs="EPSG:4544",
    ...                          geometry=[box(5e5, 3.58e6, 500_100, 3_580_100),
    ...                                    box(500_100, 3.58e6, 500_200, 3_580_100)])
    >>> split = split_parcel(Park(Manifest("demo"), parcels), "A", parts)
    >>> split.parcels[["parcel_id", "acquisition_status", "derived_from"]].values.tolist()
    [['A1', 'acquired', 'A'], ['A2', 'acquired', 'A']]
    """
    parcel_id = str(parcel_id).strip()
    [row] = _rows_of(park, [parcel_id])
    _check_free(park, [parcel_id])
    if len(parts) < 2:
        msg = f"the survey file holds {len(parts)} part(s); a split needs two or more"
        raise DataError(msg, zh=f"分宗文件中只有 {len(parts)} 宗；分宗至少需要两宗")
    if "parcel_id" not in parts.columns:
        msg = "the survey file gives no parcel id (地块编号/宗地号) for its parts"
        raise DataError(msg, zh="分宗文件没有给出各宗的地块编号（宗地号）")
    if parts.crs is None:
        msg = "the survey file has no CRS; give it (e.g. EPSG:4544) and upload it again"
        raise DataError(msg, zh="分宗文件没有坐标参考系；请指定（如 EPSG:4544）后重新上传")
    parent = park.parcels.iloc[[row]]
    parts = parts.to_crs(parent.crs).reset_index(drop=True)
    ids = ids_text(parts["parcel_id"].to_numpy(dtype=object))
    if any(i is None for i in ids) or len(set(ids)) < len(ids):
        msg = f"every part needs its own id; the file gives {', '.join(map(str, ids))}"
        raise DataError(msg, zh=f"每一宗都需要不同的编号；文件中为 {'、'.join(map(str, ids))}")
    for pid in ids:
        _new_id(park, str(pid), taken=[parcel_id], what="part", what_zh="分宗后的地块")
    geoms = np.asarray(parts.geometry.array, dtype=object)
    bad = [str(i) for i, g in zip(ids, geoms, strict=True)
           if g is None or g.is_empty or not shapely.is_valid(g)
           or g.geom_type not in ("Polygon", "MultiPolygon")]  # fmt: skip
    if bad:
        msg = f"part(s) {', '.join(bad)} have no valid polygon; correct the survey file"
        raise DataError(msg, zh=f"分宗 {'、'.join(bad)} 没有有效的多边形；请更正分宗文件")
    _check_no_overlap(parts.geometry, [str(i) for i in ids], what="parts", what_zh="各宗")
    whole = parent.geometry.iloc[0]
    union = shapely.union_all(geoms)
    crs = parent.crs
    parent_mu = float(area_m2(parent.geometry).iloc[0]) / SQM_PER_MU
    beyond, left = (
        float(area_m2(gpd.GeoSeries([g], crs=crs)).iloc[0]) / SQM_PER_MU
        for g in (shapely.difference(union, whole), shapely.difference(whole, union))
    )
    tolerance = max(TOLERANCE_MU, TOLERANCE_SHARE * parent_mu)
    if beyond > tolerance or left > tolerance:
        msg = (
            f"the parts do not lie within parcel {parcel_id} ({parent_mu:.2f} mu): they reach "
            f"{beyond:.4f} mu beyond it and leave {left:.4f} mu of it uncovered (allowed: "
            f"{tolerance:.4f} mu); check the survey file's parts and CRS"
        )
        zh = (
            f"分宗与地块 {parcel_id}（{parent_mu:.2f} 亩）不吻合：超出原地块 {beyond:.4f} 亩，"
            f"原地块有 {left:.4f} 亩未被覆盖（允许 {tolerance:.4f} 亩）；请检查分宗文件及其坐标系"
        )
        raise DataError(msg, zh=zh)
    columns = [*_columns(park.parcels), "derived_from"]
    rows = []
    for k, pid in enumerate(ids):
        values = {c: parent[c].iloc[0] if c in parent.columns else None for c in columns}
        values.update(parcel_id=pid, derived_from=parcel_id, name=None, declared_area_mu=None)
        for column in parts.columns:
            if column in (parts.geometry.name, "parcel_id"):
                continue
            given = parts[column].iloc[k]
            if column in ("name", "declared_area_mu"):
                values[column] = None if is_blank(given) else given
            elif (
                column in columns
                and not is_blank(given)
                and _show(given) != _show(values.get(column))
            ):
                msg = (
                    f"part {pid}: the survey file gives {column}={_show(given)}, but parcel "
                    f"{parcel_id} has {_show(values.get(column))}; split first, then record "
                    f"the change"
                )
                zh = (
                    f"分宗 {pid}：文件中 {column}={_show(given)}，而地块 {parcel_id} 为 "
                    f"{_show(values.get(column))}；请先分宗，再记录变更"
                )
                raise DataError(msg, zh=zh)
        rows.append(values)
    frame = gpd.GeoDataFrame(
        {c: [r.get(c) for r in rows] for c in columns}, geometry=list(geoms), crs=crs
    )
    notes = [("the parts keep the parcel's other fields", "各宗沿用原地块的其他属性")]
    return Reshape("split", (parcel_id,), frame, tuple(notes))


def reshaped(park: Park, reshape: Reshape) -> Park:
    """The park after ``reshape``: the parcels that leave taken out, the new ones added."""
    parcels = park.parcels
    ids = ids_text(parcels["parcel_id"].to_numpy(dtype=object))
    gone = set(reshape.gone)
    kept = parcels[[pid not in gone for pid in ids]]
    new = reshape.parcels.to_crs(parcels.crs)
    if new.geometry.name != parcels.geometry.name:
        new = new.rename_geometry(parcels.geometry.name)
    if "derived_from" not in kept.columns:
        kept = kept.assign(derived_from=pd.Series(None, index=kept.index, dtype=object))
    columns = list(kept.columns)
    out = pd.concat([kept, new.reindex(columns=columns)], ignore_index=True)
    return park.replace(parcels=gpd.GeoDataFrame(out, geometry=parcels.geometry.name,
                                                 crs=parcels.crs))  # fmt: skip


def reshape_events(
    park: Park,
    reshape: Reshape,
    *,
    date: dt.date,
    by: str,
    recorded_at: str,
    note: str | None = None,
) -> tuple[Any, ...]:
    """The events of ``reshape``, as ``import --update`` records them (:func:`diff_events`).

    :func:`parkgis.model.history.diff_events` is given the parcels that leave
    and those that come (with their ``derived_from``), so it compares only
    them: a ``split`` or ``merge`` event, ``retired`` on each parcel that
    leaves, ``added`` on each new one, numbered after the park's log.

    Raises
    ------
    DataError
        As :func:`~parkgis.model.history.diff_events` does (a date after the
        day of ``recorded_at``, or before a parcel's last retirement event);
        also for a date before the last event or the ``status_date`` of a
        parcel that leaves: the new parcels take its fields as they are now,
        so the park ``--as-of`` a day in between would show them wrong.
    """
    from parkgis.model.history import diff_events

    ids = ids_text(park.parcels["parcel_id"].to_numpy(dtype=object))
    leaving = set(reshape.gone)
    gone = park.parcels[[pid in leaving for pid in ids]]
    _check_not_before(park, gone, reshape.kind, date)
    none = park.projects.iloc[:0]
    old = park.replace(parcels=gone, projects=none, allocations=park.allocations.iloc[:0])
    new = park.replace(parcels=reshape.parcels.to_crs(park.parcels.crs), projects=none,
                       allocations=park.allocations.iloc[:0])  # fmt: skip
    return diff_events(old, new, date=date, by=by, recorded_at=recorded_at, note=note)


# --------------------------------------------------------------------------- helpers


def _rows_of(park: Park, ids: Sequence[str]) -> list[int]:
    """The row of each id; refuse one that is missing or listed twice."""
    parcels = park.parcels
    found: dict[str, list[int]] = {}
    if "parcel_id" in parcels.columns:
        for pos, pid in enumerate(ids_text(parcels["parcel_id"].to_numpy(dtype=object))):
            if pid is not None:
                found.setdefault(pid, []).append(pos)
    missing = [i for i in ids if i not in found]
    if missing:
        msg = f"no parcel {', '.join(missing)} in the park"
        raise DataError(msg, zh=f"园区中没有地块 {'、'.join(missing)}")
    twice = [i for i in ids if len(found[i]) > 1]
    if twice:
        msg = f"parcel id(s) {', '.join(twice)} listed twice; fix the ids (parkgis validate) first"
        raise DataError(
            msg, zh=f"地块编号 {'、'.join(twice)} 重复；请先更正编号（parkgis validate）"
        )
    return [found[i][0] for i in ids]


def _new_id(park: Park, new_id: str, *, taken: Sequence[str], what: str, what_zh: str) -> str:
    """``new_id`` when no parcel, present or retired, has it (nor one of ``taken``)."""
    pid = id_text(new_id)
    if pid is None:
        raise DataError(f"give the {what} an id", zh=f"请给出{what_zh}的编号")
    present = set(ids_text(park.parcels["parcel_id"].to_numpy(dtype=object)))
    retired = set()
    if park.retired is not None and len(park.retired) and "parcel_id" in park.retired.columns:
        retired = set(ids_text(park.retired["parcel_id"].to_numpy(dtype=object)))
    if pid in present or pid in taken or pid in retired:
        where = "a retired parcel" if pid in retired else "a parcel of the park"
        where_zh = "已注销地块" if pid in retired else "园区中已有地块"
        msg = f"{pid} is already the id of {where}; give the {what} a new id (宗地号)"
        raise DataError(msg, zh=f"{pid} 是{where_zh}的编号；请为{what_zh}使用新的宗地号")
    return pid


def _check_free(park: Park, ids: Sequence[str]) -> None:
    """Refuse parcels that allocations or a project's ``parcel_ids`` still name."""
    from parkgis.land.allocation import split_ids

    held: list[str] = []
    alloc = park.allocations
    if len(alloc) and "parcel_id" in alloc.columns and "project_id" in alloc.columns:
        for project, parcel in zip(alloc["project_id"], alloc["parcel_id"], strict=True):
            if id_text(parcel) in ids:
                held.append(f"{id_text(parcel)} → {id_text(project)}")
    projects = park.projects
    if "parcel_ids" in projects.columns and "project_id" in projects.columns:
        for project, value in zip(projects["project_id"], projects["parcel_ids"], strict=True):
            held += [f"{p} → {id_text(project)}" for p in split_ids(value) if p in ids]
    if held:
        raise held_error(held)


def _check_not_before(park: Park, gone: pd.DataFrame, kind: str, date: dt.date) -> None:
    """Refuse a split or merge dated before the last change of a parcel that leaves."""
    latest: tuple[dt.date, str, str] | None = None
    events = park.events
    if len(events):
        mine = events[(events["entity"] == "parcel") & events["entity_id"].isin(set(_ids_of(gone)))]
        for pid, field, day in zip(mine["entity_id"], mine["field"], mine["date"], strict=True):
            when = as_date(day, where=f"the event of parcel {pid}", what="date")
            if when is not None and (latest is None or when > latest[0]):
                latest = (when, str(pid), str(field))
    if "status_date" in gone.columns:
        for pid, day in zip(_ids_of(gone), gone["status_date"].tolist(), strict=True):
            when = as_date(day, where=f"parcel {pid}", what="status_date")
            if when is not None and (latest is None or when > latest[0]):
                latest = (when, str(pid), "status_date")
    if latest is None or date >= latest[0]:
        return
    day, pid, field = latest[0].isoformat(), latest[1], latest[2]
    what, what_zh = ("split", "分宗") if kind == "split" else ("merge", "合宗")
    msg = (
        f"parcel {pid} last changed on {day} ({field}); a {what} dated {date.isoformat()} would "
        f"come before that change: date the {what} {day} or later"
    )
    zh = (
        f"地块 {pid} 最近一次变更在 {day}（{field}）；{what_zh}日期 {date.isoformat()} 早于该变更："
        f"请将{what_zh}日期定为 {day} 或更晚"
    )
    raise DataError(msg, zh=zh)


def _ids_of(parcels: pd.DataFrame) -> list[str | None]:
    """The ids of ``parcels`` as text."""
    return ids_text(parcels["parcel_id"].to_numpy(dtype=object))


def _check_no_overlap(geoms: gpd.GeoSeries, ids: Sequence[str], *, what: str, what_zh: str) -> None:
    values = np.asarray(geoms.array, dtype=object)
    pairs = []
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            if shapely.intersects(values[i], values[j]):
                piece = shapely.intersection(values[i], values[j])
                m2 = float(area_m2(gpd.GeoSeries([piece], crs=geoms.crs)).iloc[0])
                if m2 >= OVERLAP_M2:
                    pairs.append((ids[i], ids[j], m2))
    if pairs:
        listed = "; ".join(f"{a} and {b}: {m2:.1f} m²" for a, b, m2 in pairs)
        listed_zh = "；".join(f"{a} 与 {b}：{m2:.1f} 平方米" for a, b, m2 in pairs)
        msg = f"the {what} overlap ({listed}); parcels must not overlap"
        raise DataError(msg, zh=f"{what_zh}相互重叠（{listed_zh}）；地块之间不能重叠")


def _pieces(geoms: np.ndarray, ids: Sequence[str]) -> list[list[str]]:
    """The ids of each group of parcels that share boundaries."""
    groups: list[list[int]] = []
    for k, geom in enumerate(geoms):
        joined = [g for g in groups if any(_share(geom, geoms[m]) for m in g)]
        merged = [k]
        for g in joined:
            merged += g
            groups.remove(g)
        groups.append(sorted(merged))
    return [[ids[m] for m in g] for g in groups]


def _share(a: Any, b: Any) -> bool:
    """Whether two polygons share a stretch of boundary (not only a corner)."""
    return shapely.union_all([a, b]).geom_type == "Polygon"


def _columns(parcels: pd.DataFrame) -> list[str]:
    return [c for c in parcels.columns if c not in (parcels.geometry.name, "derived_from")]


def _text(value: object) -> str | None:
    return None if is_blank(value) else str(value).strip()


def _show(value: object) -> str:
    return "(blank)" if is_blank(value) else str(value)


def held_error(held: Sequence[str]) -> DataError:
    """The refusal of a split or merge of parcels that allocations still name (``held``)."""
    listed = ", ".join(dict.fromkeys(held))  # a link both in allocations and a project: once
    msg = (
        f"allocations name the parcel(s) ({listed}); change the allocations "
        f"(parkgis import --update) before splitting or merging"
    )
    zh = f"用地分配中仍有这些地块（{listed}）；请先修改分配（parkgis import --update）再分宗或合宗"
    return DataError(msg, zh=zh)
