"""Land reserve and shortfall: how much buildable land is left, and how short we are.

Definitions (DESIGN.md "Land figures"), all in mu of *net buildable* land
(:func:`parkgis.land.buildable.buildable_table`):

- **available now**: parcels acquired or leveled, less what is allocated on
  them to any project (allocations are taken to use buildable land first).
- **pipeline**: parcels being acquired (征收中), by the quarter of their
  ``expected_acquisition``; **reserve**: parcels not yet acquired (未征收),
  likewise. Land they earmark for a project that is not itself waiting for
  land is not counted as supply.
- **demand**: what the projects at stage signed … operating (签约 → 投产)
  still need: ``land_demand_mu`` less the land they *hold*, that is their
  allocations on parcels acquired or further along the chain. Allocations on
  land not yet acquired are earmarks: they do not reduce the need, and the
  land counts as supply when it arrives. Stalled (停工) and negotiating (洽谈)
  projects do not count; they are listed in ``projects_excluded`` with the
  reason, as are signed projects without a ``land_demand_mu`` that hold
  nothing.
- **shortfall**: demand less supply, never negative; where supply exceeds
  demand the excess is the surplus. Given now; if all the pipeline, and all
  the pipeline and reserve, were acquired (a capacity, not a forecast); and
  quarter by quarter as land with a *credible* date arrives.
- **overdue**: pipeline or reserve land whose ``expected_acquisition`` is
  before ``as_of`` and that is still not acquired. Its date has passed, so
  there is no date it can be counted on: it is reported (``overdue_mu``,
  ``overdue_parcels`` with the original dates) and never counted as
  arriving. Land without an expected date is not counted as arriving either
  (``*_unscheduled_mu``). A shortfall is only called closed
  (``shortfall_closes_in``) by available land and land with a credible date.

Remainders below ``tolerance_mu`` (default 0.01 mu, 6.7 m²) are taken as 0:
they come from measuring a parcel that is allocated in full by its written
area. Every output says which tolerance it used.

Pure: no clock (``as_of`` is an argument), no files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from parkgis.errors import DataError
from parkgis.land.allocation import effective_allocations
from parkgis.land.buildable import buildable_table
from parkgis.model.park import Park
from parkgis.model.values import as_date, ids_text, is_blank
from parkgis.model.vocab import ACQUISITION, STAGE

__all__ = [
    "ACQUIRED_STATUSES",
    "DEMAND_STAGES",
    "apply_assumptions",
    "quarter_of",
    "reserve_figures",
    "reserve_parcels",
    "reserve_projects",
]

DEMAND_STAGES = ("signed", "site_prep", "construction", "equipment", "trial", "operating")
"""Project stages whose land demand counts: signed, and not stalled."""

ACQUIRED_STATUSES = ("acquired", "leveled", "listed", "sold", "supplied")
"""Statuses of land a project can hold: acquired or further along the chain."""

_ROLE_OF = {
    "acquired": "available",
    "leveled": "available",
    "acquiring": "pipeline",
    "unacquired": "reserve",
    "listed": "market",
    "sold": "market",
    "supplied": "supplied",
}


def quarter_of(value: object) -> str | None:
    """The quarter of a date, as ``"2014Q1"``; None for a blank.

    Examples
    --------
    >>> quarter_of("2014-03-31"), quarter_of(dt.date(2014, 4, 1)), quarter_of(None)
    ('2014Q1', '2014Q2', None)
    """
    day = as_date(value)
    return None if day is None else f"{day.year}Q{(day.month - 1) // 3 + 1}"


def apply_assumptions(park: Park, assume: Mapping[str, str]) -> Park:
    """The park with the status of whole zones (or single parcels) changed: a scenario.

    Parameters
    ----------
    park
        The park; not modified.
    assume
        ``{zone: status}``, e.g. ``{"傅家店": "acquired"}``; a key that is not a
        zone may be a parcel id. Statuses are read with the vocabulary
        (``"已征收"`` works).

    Raises
    ------
    DataError
        For a key that is neither a zone nor a parcel id.
    VocabularyError
        For a status that is not an acquisition status.
    """
    if not assume:
        return park
    parcels = park.parcels.copy()
    zones = parcels["zone"] if "zone" in parcels.columns else pd.Series(None, index=parcels.index)
    ids = parcels["parcel_id"].astype(str) if "parcel_id" in parcels.columns else zones
    status = parcels["acquisition_status"].astype(object).copy()
    for key, value in assume.items():
        code = ACQUISITION.code(str(value), where=f"scenario {key}={value}")
        hit = (zones == key).to_numpy() if (zones == key).any() else (ids == key).to_numpy()
        if not hit.any():
            known = ", ".join(sorted({str(z) for z in zones.dropna()}))
            msg = (
                f"scenario {key}={value}: {key!r} is neither a zone nor a parcel id of park "
                f"{park.name!r}; zones: {known or '(none)'}"
            )
            raise DataError(msg)
        status[hit] = code
    parcels["acquisition_status"] = status
    return park.replace(parcels=parcels)


def reserve_parcels(
    park: Park,
    *,
    buildable: pd.DataFrame | None = None,
    allocations: pd.DataFrame | None = None,
    tolerance_mu: float = 0.01,
    projects: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each parcel's part in the reserve figures: its role and the supply it gives.

    Parameters
    ----------
    park
        The park (after any scenario, see :func:`apply_assumptions`).
    buildable
        A :func:`~parkgis.land.buildable.buildable_table` of the park's parcels
        (aligned by position), to reuse; computed when not given.
    allocations
        The park's :func:`~parkgis.land.allocation.effective_allocations`, to
        reuse; derived when not given.
    tolerance_mu
        Remainders below this are taken as 0.
    projects
        The park's :func:`reserve_projects`, to reuse; derived when not given.

    Returns
    -------
    pandas.DataFrame
        ``parcel_id``, ``name``, ``zone``, ``acquisition_status``,
        ``expected_acquisition``, ``quarter``, ``gross_mu``, ``net_mu``,
        ``allocated_mu``, ``supply_mu`` and ``role``: available, allocated
        (acquired or leveled but fully allocated), pipeline, reserve, market
        (listed or sold), supplied, or unknown (a status that is not a code).
    """
    parcels = park.parcels
    table = buildable if buildable is not None else buildable_table(park)
    if len(table) != len(parcels):
        msg = f"the buildable table has {len(table)} rows but the park has {len(parcels)} parcels"
        raise DataError(msg)
    ids = _id_series(parcels["parcel_id"])
    net = table["net_mu"].to_numpy(dtype=float)
    gross = table["gross_mu"].to_numpy(dtype=float)
    alloc = (
        allocations
        if allocations is not None
        else effective_allocations(park, area_mu=pd.Series(gross, index=ids))
    )
    if projects is None:
        projects = reserve_projects(
            park, buildable=table, allocations=alloc, tolerance_mu=tolerance_mu
        )
    waiting = set(projects.loc[projects["counted"] & (projects["need_mu"] > 0), "project_id"])
    all_mu = alloc.groupby("parcel_id")["mu"].sum()
    outside = alloc[~alloc["project_id"].isin(waiting)].groupby("parcel_id")["mu"].sum()
    allocated = ids.map(all_mu).fillna(0.0).to_numpy(dtype=float)
    earmarked_elsewhere = ids.map(outside).fillna(0.0).to_numpy(dtype=float)

    status = parcels["acquisition_status"].astype(object).to_numpy()
    role = np.array([_ROLE_OF.get(s, "unknown") for s in status], dtype=object)
    supply = np.zeros(len(parcels))
    now = role == "available"
    later = np.isin(role, ["pipeline", "reserve"])
    supply[now] = np.maximum(0.0, net[now] - allocated[now])
    supply[later] = np.maximum(0.0, net[later] - earmarked_elsewhere[later])
    supply[supply < tolerance_mu] = 0.0
    role[now & (supply == 0)] = "allocated"
    expected = (
        parcels["expected_acquisition"]
        if "expected_acquisition" in parcels.columns
        else pd.Series(None, index=parcels.index, dtype=object)
    )
    quarters = np.full(len(parcels), None, dtype=object)
    dated = expected.to_numpy(dtype=object)
    lookup: dict[object, str | None] = {}
    for i in np.flatnonzero(later):
        value = dated[i]
        key = value if isinstance(value, str) or value is None else repr(value)
        if key not in lookup:
            lookup[key] = _quarter_at(value, ids.iloc[i])
        quarters[i] = lookup[key]
    return pd.DataFrame(
        {
            "parcel_id": ids.to_numpy(),
            "name": _column(parcels, "name"),
            "zone": _column(parcels, "zone"),
            "acquisition_status": status,
            "expected_acquisition": expected.to_numpy(dtype=object),
            "quarter": quarters,
            "gross_mu": gross,
            "net_mu": net,
            "allocated_mu": allocated,
            "supply_mu": supply,
            "role": role,
        }
    )


def reserve_projects(
    park: Park,
    *,
    buildable: pd.DataFrame | None = None,
    allocations: pd.DataFrame | None = None,
    tolerance_mu: float = 0.01,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Each project's land: demand, held, earmarked, still needed, and whether it counts.

    Parameters are those of :func:`reserve_parcels`, and ``as_of``: a project
    whose ``signed_on`` is after it is not signed yet, whatever its stage.

    Returns
    -------
    pandas.DataFrame
        ``project_id``, ``name``, ``company``, ``stage``, ``land_demand_mu``,
        ``held_mu`` (on land acquired or further), ``earmarked_mu`` (on land
        not yet acquired), ``need_mu`` (demand less held, never negative,
        below ``tolerance_mu`` taken as 0), ``counted`` and ``reason``, why a
        project's need does not count: ``stalled`` (停工: its demand waits
        until work resumes), ``negotiating`` (not signed), ``not_yet_signed``
        (``signed_on`` after ``as_of``), ``unknown_stage``
        (blank or not a stage), ``no_land_demand`` (signed, no
        ``land_demand_mu`` and no land held; with land held its need is taken
        as met, reason None).
    """
    projects = park.projects
    parcels = park.parcels
    ids = _id_series(parcels["parcel_id"])
    if allocations is not None:
        alloc = allocations
    else:
        table = buildable if buildable is not None else buildable_table(park)
        gross = pd.Series(table["gross_mu"].to_numpy(dtype=float), index=ids)
        alloc = effective_allocations(park, area_mu=gross)
    status = pd.Series(parcels["acquisition_status"].to_numpy(dtype=object), index=ids)
    status = status[~status.index.duplicated(keep="first")]
    parcel_status = alloc["parcel_id"].map(status)
    held = alloc[parcel_status.isin(ACQUIRED_STATUSES)].groupby("project_id")["mu"].sum()
    early = alloc[parcel_status.isin(["unacquired", "acquiring"])].groupby("project_id")["mu"].sum()

    pids = _id_series(pd.Series(_column(projects, "project_id"), dtype=object))
    demand = pd.to_numeric(_column(projects, "land_demand_mu", pd.Series), errors="coerce")
    stage = pd.Series(_column(projects, "stage"), dtype=object)
    out = pd.DataFrame(
        {
            "project_id": pids.to_numpy(),
            "name": _column(projects, "name"),
            "company": _column(projects, "company"),
            "stage": stage.to_numpy(),
            "land_demand_mu": demand.to_numpy(dtype=float),
            "held_mu": pids.map(held).fillna(0.0).to_numpy(dtype=float),
            "earmarked_mu": pids.map(early).fillna(0.0).to_numpy(dtype=float),
        }
    )
    need = np.maximum(0.0, out["land_demand_mu"].to_numpy() - out["held_mu"].to_numpy())
    need = np.where(np.isnan(need), 0.0, need)
    need[need < tolerance_mu] = 0.0
    out["need_mu"] = need
    in_stage = out["stage"].isin(DEMAND_STAGES).to_numpy()
    has_demand = out["land_demand_mu"].notna().to_numpy()
    unsigned = _signed_after(projects, pids, as_of)
    out["counted"] = in_stage & has_demand & ~unsigned
    reasons = []
    for stage_code, counted, demand_known, held_mu, later in zip(
        out["stage"], out["counted"], has_demand, out["held_mu"], unsigned, strict=True
    ):
        if counted:
            reasons.append(None)
        elif later:
            reasons.append("not_yet_signed")
        elif stage_code in ("stalled", "negotiating"):
            reasons.append(stage_code)
        elif not isinstance(stage_code, str) or stage_code not in STAGE:
            reasons.append("unknown_stage")
        elif not demand_known:
            reasons.append("no_land_demand" if held_mu == 0 else None)
        else:
            reasons.append(None)
    out["reason"] = reasons
    return out


def _signed_after(projects: pd.DataFrame, pids: pd.Series, as_of: dt.date | None) -> np.ndarray:
    """Whether each project's ``signed_on`` is after ``as_of`` (not signed yet on that day)."""
    if as_of is None or "signed_on" not in projects.columns:
        return np.zeros(len(projects), dtype=bool)
    signed = [
        as_date(value, where=f"project {pid}", what="signed_on")
        for pid, value in zip(pids, projects["signed_on"].tolist(), strict=True)
    ]
    return np.array([d is not None and d > as_of for d in signed], dtype=bool)


def reserve_figures(
    park: Park,
    *,
    assume: Mapping[str, str] | None = None,
    as_of: dt.date | str | None = None,
    buildable: pd.DataFrame | None = None,
    tolerance_mu: float = 0.01,
) -> dict[str, Any]:
    """Available land, pipeline, reserve, demand and shortfall, now and by quarter.

    Parameters
    ----------
    park
        The park.
    assume
        A scenario, ``{zone: status}`` (see :func:`apply_assumptions`),
        applied before anything is computed.
    as_of
        The date the figures are for. Pipeline and reserve land expected
        before it is overdue: reported, never counted as arriving; the
        timeline starts at its quarter. Without it no date is judged (every
        expected date is taken at its word) and the timeline starts at the
        first expected quarter: the shell passes today's date.
    buildable
        A :func:`~parkgis.land.buildable.buildable_table` of the park's parcels,
        to reuse (the scenario changes statuses, not areas).
    tolerance_mu
        Remainders below this are taken as 0.

    Returns
    -------
    dict
        ``available_mu``, ``pipeline_mu``, ``reserve_mu``, ``demand_mu``,
        ``shortfall_mu`` and ``surplus_mu`` (now),
        ``shortfall_after_pipeline_mu``, ``surplus_after_pipeline_mu``,
        ``shortfall_after_reserve_mu``, ``surplus_after_reserve_mu``,
        ``pipeline_unscheduled_mu``, ``reserve_unscheduled_mu`` and
        ``unscheduled_mu`` (land without an expected date),
        ``pipeline_overdue_mu``, ``reserve_overdue_mu`` and ``overdue_mu``
        (land past its expected date, not acquired): all in the totals, none
        counted as arriving; ``shortfall_after_scheduled_mu`` and
        ``surplus_after_scheduled_mu`` (counting available land and land
        with a credible date: the end of ``by_quarter``),
        ``shortfall_closes_in`` (the first quarter of ``by_quarter`` without a
        shortfall, or None), ``by_quarter`` (objects with ``quarter``,
        ``new_pipeline_mu``, ``new_reserve_mu`` — land expected in the
        quarter —, ``overdue_mu`` — overdue land, not counted —,
        ``supply_mu`` — everything counted as available by the end of the
        quarter —, ``demand_mu``, ``shortfall_mu``, ``surplus_mu``),
        ``projects_waiting`` and ``projects_excluded`` (per-project detail),
        ``supply_parcels`` (each parcel that gives supply, with its role,
        quarter, expected date, whether it is overdue, and mu),
        ``overdue_parcels`` (the overdue ones, with their original dates),
        ``assumptions``, ``as_of``, ``tolerance_mu``.

    Examples
    --------
    >>> from parkgis.sample import build_yuanba
    >>> f = reserve_figures(build_yuanba(), as_of="2026-12-01")
    >>> round(f["overdue_mu"], 2), f["shortfall_after_scheduled_mu"], f["shortfall_closes_in"]
    (694.65, 190.0, None)
    >>> reserve_figures(build_yuanba(), as_of="2013-06-30")["shortfall_closes_in"]
    '2014Q1'
    """
    table = buildable if buildable is not None else buildable_table(park)
    scenario = apply_assumptions(park, assume or {})
    gross = pd.Series(
        table["gross_mu"].to_numpy(dtype=float), index=_id_series(park.parcels["parcel_id"])
    )
    alloc = effective_allocations(scenario, area_mu=gross)
    shared = {"buildable": table, "allocations": alloc, "tolerance_mu": tolerance_mu}
    projects = reserve_projects(scenario, **shared, as_of=as_date(as_of))
    parcels = reserve_parcels(scenario, **shared, projects=projects)
    as_of_day = as_date(as_of)
    parcels = parcels.assign(
        expected_acquisition=_expected_dates(parcels),
        overdue=_overdue(parcels, as_of_day),
    )

    def total(role: str, *, dated: bool | None = None, overdue: bool | None = None) -> float:
        rows = parcels[parcels["role"] == role]
        if dated is not None:
            rows = rows[rows["quarter"].notna() == dated]
        if overdue is not None:
            rows = rows[rows["overdue"] == overdue]
        return float(rows["supply_mu"].sum())

    available = total("available")
    pipeline, reserve = total("pipeline"), total("reserve")
    unscheduled = {role: total(role, dated=False) for role in ("pipeline", "reserve")}
    overdue = {role: total(role, overdue=True) for role in ("pipeline", "reserve")}
    counted = projects[projects["counted"]]
    demand = float(counted["need_mu"].sum())
    after_pipeline = available + pipeline
    after_reserve = after_pipeline + reserve
    quarters = _by_quarter(parcels, available, demand, as_of_day)
    scheduled = quarters[-1]["supply_mu"] if quarters else available
    figures: dict[str, Any] = {
        "as_of": as_of_day.isoformat() if as_of_day else None,
        "tolerance_mu": tolerance_mu,
        "assumptions": _assumptions(park, assume or {}, table),
        "available_mu": available,
        "pipeline_mu": pipeline,
        "pipeline_unscheduled_mu": unscheduled["pipeline"],
        "pipeline_overdue_mu": overdue["pipeline"],
        "reserve_mu": reserve,
        "reserve_unscheduled_mu": unscheduled["reserve"],
        "reserve_overdue_mu": overdue["reserve"],
        "unscheduled_mu": unscheduled["pipeline"] + unscheduled["reserve"],
        "overdue_mu": overdue["pipeline"] + overdue["reserve"],
        "demand_mu": demand,
        "shortfall_mu": max(0.0, demand - available),
        "surplus_mu": max(0.0, available - demand),
        "shortfall_after_scheduled_mu": max(0.0, demand - scheduled),
        "surplus_after_scheduled_mu": max(0.0, scheduled - demand),
        "shortfall_closes_in": next(
            (q["quarter"] for q in quarters if q["shortfall_mu"] < tolerance_mu), None
        ),
        "shortfall_after_pipeline_mu": max(0.0, demand - after_pipeline),
        "surplus_after_pipeline_mu": max(0.0, after_pipeline - demand),
        "shortfall_after_reserve_mu": max(0.0, demand - after_reserve),
        "surplus_after_reserve_mu": max(0.0, after_reserve - demand),
        "by_quarter": quarters,
        "projects_waiting": _records(
            counted[counted["need_mu"] > 0].drop(columns=["counted", "reason"])
        ),
        "projects_excluded": _records(
            projects[
                projects["reason"].notna()
                & ((projects["need_mu"] > 0) | projects["land_demand_mu"].isna())
            ].drop(columns=["counted"])
        ),
        "supply_parcels": _records(parcels.loc[parcels["supply_mu"] > 0, list(_SUPPLY_COLUMNS)]),
        "overdue_parcels": _records(
            parcels.loc[
                parcels["overdue"],
                ["parcel_id", "name", "zone", "role", "expected_acquisition", "supply_mu"],
            ]
        ),
    }
    return figures


_SUPPLY_COLUMNS = (
    "parcel_id",
    "name",
    "zone",
    "role",
    "quarter",
    "expected_acquisition",
    "overdue",
    "gross_mu",
    "net_mu",
    "supply_mu",
)
"""The columns of ``supply_parcels``."""


def _expected_dates(parcels: pd.DataFrame) -> list[str | None]:
    """Each parcel's expected acquisition date as ``YYYY-MM-DD`` (read as ``quarter`` was)."""
    out: list[str | None] = []
    for value, quarter in zip(parcels["expected_acquisition"], parcels["quarter"], strict=True):
        day = as_date(value) if quarter is not None else None
        out.append(day.isoformat() if day is not None else None)
    return out


def _overdue(parcels: pd.DataFrame, as_of: dt.date | None) -> np.ndarray:
    """Pipeline or reserve land giving supply whose expected date is before ``as_of``."""
    if as_of is None:
        return np.zeros(len(parcels), dtype=bool)
    day = as_of.isoformat()
    before = [isinstance(d, str) and d < day for d in parcels["expected_acquisition"]]
    later = parcels["role"].isin(["pipeline", "reserve"]).to_numpy()
    return later & (parcels["supply_mu"].to_numpy() > 0) & np.array(before, dtype=bool)


def _by_quarter(
    parcels: pd.DataFrame, available: float, demand: float, as_of: dt.date | None
) -> list[dict[str, Any]]:
    """Supply against demand quarter by quarter, counting only land with a credible date.

    The timeline runs from the quarter of ``as_of`` (else the first expected
    quarter) to the last expected one. Overdue land (``parcels["overdue"]``)
    and land without a date never arrive; overdue land is shown in every row.
    """
    credible = parcels[
        parcels["quarter"].notna() & (parcels["supply_mu"] > 0) & ~parcels["overdue"]
    ]
    overdue = float(parcels.loc[parcels["overdue"], "supply_mu"].sum())
    start = quarter_of(as_of) if as_of is not None else None
    quarters = sorted(set(credible["quarter"]), key=_quarter_key)
    if start is None and not quarters:
        return []
    first = start if start is not None else quarters[0]
    last = max([first, *quarters], key=_quarter_key)
    rows = []
    cumulative = available
    for q in _quarter_range(first, last):
        here = credible[credible["quarter"] == q]
        new_pipeline = float(here.loc[here["role"] == "pipeline", "supply_mu"].sum())
        new_reserve = float(here.loc[here["role"] == "reserve", "supply_mu"].sum())
        cumulative += new_pipeline + new_reserve
        rows.append(
            {
                "quarter": q,
                "new_pipeline_mu": new_pipeline,
                "new_reserve_mu": new_reserve,
                "overdue_mu": overdue,
                "supply_mu": cumulative,
                "demand_mu": demand,
                "shortfall_mu": max(0.0, demand - cumulative),
                "surplus_mu": max(0.0, cumulative - demand),
            }
        )
    return rows


def _assumptions(
    park: Park, assume: Mapping[str, str], table: pd.DataFrame
) -> list[dict[str, Any]]:
    out = []
    parcels = park.parcels
    zones = parcels["zone"] if "zone" in parcels.columns else pd.Series(None, index=parcels.index)
    ids = _id_series(parcels["parcel_id"])
    for key, value in assume.items():
        hit = (zones == key).to_numpy() if (zones == key).any() else (ids == key).to_numpy()
        out.append(
            {
                "zone": key,
                "status": ACQUISITION.code(str(value)),
                "parcels": int(hit.sum()),
                "gross_mu": float(table["gross_mu"].to_numpy()[hit].sum()),
                "net_mu": float(table["net_mu"].to_numpy()[hit].sum()),
            }
        )
    return out


def _quarter_key(q: str) -> tuple[int, int]:
    year, quarter = q.split("Q")
    return int(year), int(quarter)


def _quarter_range(first: str, last: str) -> list[str]:
    y, q = _quarter_key(first)
    end = _quarter_key(last)
    out = []
    while (y, q) <= end:
        out.append(f"{y}Q{q}")
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def _quarter_at(value: object, parcel_id: object) -> str | None:
    try:
        return quarter_of(value)
    except DataError:
        msg = (
            f"parcels row parcel_id={parcel_id}: expected_acquisition {value!r} is not a date; "
            f"write it as YYYY-MM-DD"
        )
        raise DataError(msg) from None


def _id_series(series: pd.Series) -> pd.Series:
    return pd.Series(ids_text(series.to_numpy(dtype=object)), index=series.index, dtype=object)


def _column(frame: pd.DataFrame, name: str, kind: type = np.ndarray) -> Any:
    if name in frame.columns:
        values = frame[name].astype(object)
    else:
        values = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return values if kind is pd.Series else values.to_numpy(dtype=object)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = list(frame.columns)
    values = [frame[c].to_numpy(dtype=object) for c in columns]
    return [
        {c: (None if is_blank(v) else v) for c, v in zip(columns, row, strict=True)}
        for row in zip(*values, strict=True)
    ]
