"""The three gaps every park is asked about, and idle-land alerts.

- 批而未征 ``approved_not_acquired``: the acquisition was approved
  (``acquisition_step`` = approved) but the land is still unacquired or being
  acquired;
- 征而未供 ``acquired_not_supplied``: acquired, leveled, listed or sold, not
  yet supplied;
- 供而未用 ``supplied_not_built``: supplied, but no project holds it, or none
  of the projects holding it has reached construction (a stalled project
  counts as not built).

Each parcel in a gap is listed with its area in mu (gross, as measured) and
the days it has been in its stage: ``today`` minus the date it entered it.
That date comes from a ``since`` series indexed by parcel id — by default the
park's event log (:func:`parkgis.model.history.status_since`: the date of the
parcel's last status or step change on or before ``today``), and for parcels
the log does not mention, their ``status_date`` column.
Land supplied more than a year before ``today`` without construction is an
idle-land alert (闲置土地: construction not started a full year after supply).

Pure: ``today`` is an argument; the shell reads the clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from parkgis.errors import DataError
from parkgis.land.allocation import effective_allocations
from parkgis.measure.area import gross_area_mu
from parkgis.model.history import status_since
from parkgis.model.park import Park
from parkgis.model.values import as_date, id_text, ids_text
from parkgis.model.vocab import STAGE

__all__ = ["BUILT_STAGES", "GAPS", "gap_figures", "gaps_table", "one_year_before"]

GAPS: dict[str, tuple[str, str]] = {
    "approved_not_acquired": ("批而未征", "Approved, not acquired"),
    "acquired_not_supplied": ("征而未供", "Acquired, not supplied"),
    "supplied_not_built": ("供而未用", "Supplied, not built"),
}
"""Gap codes with their Chinese and English names, in chain order."""

BUILT_STAGES = ("construction", "equipment", "trial", "operating")
"""Project stages at which construction has started."""

_NOT_SUPPLIED = ("acquired", "leveled", "listed", "sold")
_COLUMNS = [
    "gap", "parcel_id", "name", "zone", "acquisition_status", "acquisition_step",
    "project_id", "stage", "area_mu", "since", "days_in_stage", "idle",
]  # fmt: skip


def one_year_before(day: dt.date) -> dt.date:
    """The same calendar day a year earlier (28 February for 29 February).

    Examples
    --------
    >>> one_year_before(dt.date(2024, 2, 29))
    datetime.date(2023, 2, 28)
    """
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def gaps_table(
    park: Park,
    *,
    today: dt.date,
    since: pd.Series | None = None,
    area_mu: pd.Series | None = None,
) -> pd.DataFrame:
    """Every parcel in one of the three gaps, with its area and days in stage.

    Parameters
    ----------
    park
        The park.
    today
        The date the days are counted to.
    since
        The date each parcel entered its current status, indexed by parcel
        id (dates or ``YYYY-MM-DD`` text; blank for unknown). By default
        :func:`parkgis.model.history.status_since`: from the event log, else the
        parcels' ``status_date``.
    area_mu
        Each parcel's area in mu, aligned with the parcels; measured when not
        given.

    Returns
    -------
    pandas.DataFrame
        One row per parcel in a gap, in gap order: ``gap``, ``parcel_id``,
        ``name``, ``zone``, ``acquisition_status``, ``acquisition_step``,
        ``project_id`` (the projects holding it, ``;``-joined), ``stage``
        (their furthest stage), ``area_mu``, ``since``, ``days_in_stage``
        (None where the date is unknown), ``idle`` (supplied, not built, for
        more than a year).

    Raises
    ------
    DataError
        For a ``since`` date that cannot be read, or duplicated parcel ids in
        ``since``.
    """
    parcels = park.parcels
    ids = ids_text(parcels["parcel_id"].to_numpy(dtype=object))
    status = parcels["acquisition_status"].astype(object).to_numpy()
    step = _column(parcels, "acquisition_step")
    area = (
        gross_area_mu(parcels).to_numpy() if area_mu is None else np.asarray(area_mu, dtype=float)
    )
    if since is None:
        since = status_since(park, today=today)
    entered = _since_dates(since, ids)

    alloc = effective_allocations(park, area_mu=pd.Series(area, index=ids))
    projects = park.projects
    stage_of = dict(
        zip(
            [id_text(v) for v in _column(projects, "project_id")],
            _column(projects, "stage"),
            strict=True,
        )
    )
    holders: dict[str, list[str]] = {}
    for project, parcel in zip(alloc["project_id"], alloc["parcel_id"], strict=True):
        holders.setdefault(parcel, []).append(project)

    names, zones = _column(parcels, "name"), _column(parcels, "zone")
    rows = []
    for i, pid in enumerate(ids):
        held_by = list(dict.fromkeys(holders.get(pid, [])))
        stages = [stage_of.get(p) for p in held_by]
        furthest = _furthest(stages)
        gap = _gap(status[i], step[i], stages)
        if gap is None:
            continue
        day = entered[i]
        days = (today - day).days if day is not None else None
        idle = gap == "supplied_not_built" and day is not None and day < one_year_before(today)
        rows.append(
            {
                "gap": gap,
                "parcel_id": pid,
                "name": names[i],
                "zone": zones[i],
                "acquisition_status": status[i],
                "acquisition_step": step[i],
                "project_id": ";".join(held_by) or None,
                "stage": furthest,
                "area_mu": float(area[i]),
                "since": day.isoformat() if day is not None else None,
                "days_in_stage": days,
                "idle": bool(idle),
            }
        )
    out = pd.DataFrame(rows, columns=_COLUMNS, dtype=object)
    out["area_mu"] = out["area_mu"].astype(float)
    out["idle"] = out["idle"].astype(bool)
    order = {code: k for k, code in enumerate(GAPS)}
    out = out.sort_values("gap", key=lambda s: s.map(order), kind="stable")
    out["days_in_stage"] = out["days_in_stage"].astype("Int64")
    return out.reset_index(drop=True)


def gap_figures(
    park: Park,
    *,
    today: dt.date,
    since: pd.Series | None = None,
    area_mu: pd.Series | None = None,
    table: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The three gaps summed: parcels, mu and days in stage; idle-land alerts.

    ``since`` and ``area_mu`` are those of :func:`gaps_table`; ``table``, that
    table made already (for the same ``today``), is summed instead of made again.

    Returns
    -------
    dict
        ``today``; ``gaps``: for each gap, ``gap``, ``zh``, ``en``,
        ``parcels``, ``mu``, ``max_days``, ``median_days``,
        ``parcels_without_date`` and ``parcel_ids``; ``idle_alerts``: the
        parcels supplied over a year before ``today`` without construction,
        with their area and days; ``idle_mu``.
    """
    if table is None:
        table = gaps_table(park, today=today, since=since, area_mu=area_mu)
    gaps = []
    for code, (zh, en) in GAPS.items():
        rows = table[table["gap"] == code]
        days = rows["days_in_stage"].dropna().astype(float)
        gaps.append(
            {
                "gap": code,
                "zh": zh,
                "en": en,
                "parcels": len(rows),
                "mu": float(rows["area_mu"].sum()),
                "max_days": int(days.max()) if len(days) else None,
                "median_days": float(days.median()) if len(days) else None,
                "parcels_without_date": int(rows["days_in_stage"].isna().sum()),
                "parcel_ids": rows["parcel_id"].tolist(),
            }
        )
    idle = table[table["idle"]]
    return {
        "today": today.isoformat(),
        "gaps": gaps,
        "idle_alerts": [
            {k: (None if pd.isna(v) else v) for k, v in r.items()}
            for r in idle.drop(columns=["gap", "idle"])
            .astype({"days_in_stage": object})
            .to_dict(orient="records")
        ],
        "idle_mu": float(idle["area_mu"].sum()),
    }


def _gap(status: object, step: object, stages: list[object]) -> str | None:
    if status in ("unacquired", "acquiring") and step == "approved":
        return "approved_not_acquired"
    if status in _NOT_SUPPLIED:
        return "acquired_not_supplied"
    if status == "supplied" and not any(s in BUILT_STAGES for s in stages):
        return "supplied_not_built"
    return None


def _furthest(stages: list[object]) -> str | None:
    known = [s for s in stages if isinstance(s, str) and s in STAGE.codes]
    if not known:
        return None
    chain = [s for s in known if s != "stalled"]
    return max(chain, key=STAGE.rank) if chain else "stalled"


def _since_dates(since: pd.Series, ids: list[str | None]) -> list[dt.date | None]:
    index = ids_text(since.index.to_numpy(dtype=object))
    seen: set[str | None] = set()
    for key in index:
        if key in seen and key is not None:
            raise DataError(
                f"since: parcel id {key!r} appears twice; give one date per parcel",
                zh=f"since：地块编号 {key!r} 出现了两次；每个地块只能给一个日期",
            )
        seen.add(key)
    by_id = dict(zip(index, since.tolist(), strict=True))
    out = []
    for pid in ids:
        value = by_id.get(pid)
        out.append(as_date(value, where=f"parcel {pid}", what="status date"))
    return out


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name in frame.columns:
        return frame[name].astype(object).to_numpy()
    return np.full(len(frame), None, dtype=object)
