"""Who holds which land: the effective project ↔ parcel allocation table.

A project may hold several parcels and a parcel may be shared between
projects. A park says so in three places: the allocations table (project,
parcel, mu), a parcel's ``project_id`` and a project's ``parcel_ids``. This
module merges them into one table; checking them (links that point at
nothing, parcels allocated beyond their area) is :mod:`parkgis.check.problems`'s
job (codes ``allocation_unknown``, ``over_allocated``, ``unknown_project``).

Pure: takes a park, returns a new table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from parkgis.measure.area import gross_area_mu
from parkgis.model.park import Park

__all__ = ["effective_allocations", "split_ids"]

_SEPARATORS = re.compile(r"[,，;；、\s]+")
_COLUMNS = ["project_id", "parcel_id", "mu", "basis"]


def split_ids(value: object) -> list[str]:
    """Split a list of ids as ledgers write it (``"A;B"``, ``"A、B"``, ``"A, B"``, a list).

    Examples
    --------
    >>> split_ids("YB-01；YB-02、YB-03")
    ['YB-01', 'YB-02', 'YB-03']
    >>> split_ids(None)
    []
    """
    if value is None:
        return []
    if type(value) is str and not _SEPARATORS.search(value):  # the common case: one id
        return [value.strip()] if value.strip() else []
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, float):
        if value != value:
            return []
        return [str(int(value)) if value.is_integer() else str(value)]
    return [part for part in _SEPARATORS.split(str(value).strip()) if part]


def effective_allocations(
    park: Park, *, area_mu: Mapping[str, float] | pd.Series | None = None
) -> pd.DataFrame:
    """Every (project, parcel, mu) a park records, from any of its three sources.

    Rules, in order:

    1. Each row of ``park.allocations`` is kept as given (``basis``
       ``"allocations"``).
    2. A link from a parcel's ``project_id`` or a project's ``parcel_ids``
       that no allocation row covers is added as an allocation without mu
       (``basis`` names the source, or both).
    3. An allocation without mu takes the rest of its parcel: the parcel's
       area less the mu the other rows give it (never below 0), shared
       equally when several rows have no mu (``basis`` says so).

    Rows with a blank project or parcel id are left out (``parkgis validate``
    reports them); a parcel id that names no parcel keeps a blank ``mu``
    unless the row gives one.

    Parameters
    ----------
    park
        The park.
    area_mu
        Each parcel's area in mu by parcel id, to fill allocations without
        mu; by default measured with :func:`~parkgis.measure.area.gross_area_mu`.

    Returns
    -------
    pandas.DataFrame
        ``project_id``, ``parcel_id``, ``mu``, ``basis``.
    """
    parcels = park.parcels
    if area_mu is None:
        measured = gross_area_mu(parcels) if len(parcels) else pd.Series(dtype=float)
        area_mu = pd.Series(measured.to_numpy(), index=_ids(parcels, "parcel_id"))
    area = pd.Series(area_mu, dtype=float)
    area = area[~area.index.duplicated(keep="first")]

    rows: list[dict[str, object]] = []
    covered: set[tuple[str, str]] = set()
    alloc = park.allocations
    if len(alloc):
        mu_values = (
            pd.to_numeric(alloc["mu"], errors="coerce")
            if "mu" in alloc.columns
            else pd.Series(np.nan, index=alloc.index)
        )
        for project, parcel, mu in zip(
            _ids(alloc, "project_id"), _ids(alloc, "parcel_id"), mu_values, strict=True
        ):
            if project is None or parcel is None:
                continue
            rows.append(
                {"project_id": project, "parcel_id": parcel, "mu": mu, "basis": "allocations"}
            )
            covered.add((project, parcel))

    links: dict[tuple[str, str], list[str]] = {}
    if "project_id" in parcels.columns:
        values = parcels["project_id"].to_numpy(dtype=object)
        for parcel, value in zip(_ids(parcels, "parcel_id"), values, strict=True):
            for project in split_ids(value) if parcel is not None else []:
                links.setdefault((project, parcel), []).append("parcels.project_id")
    projects = park.projects
    if "parcel_ids" in projects.columns:
        for project, value in zip(
            _ids(projects, "project_id"), projects["parcel_ids"], strict=True
        ):
            for parcel in split_ids(value) if project is not None else []:
                links.setdefault((project, parcel), []).append("projects.parcel_ids")
    for (project, parcel), sources in links.items():
        if (project, parcel) not in covered:
            basis = " and ".join(dict.fromkeys(sources))
            rows.append({"project_id": project, "parcel_id": parcel, "mu": np.nan, "basis": basis})

    out = pd.DataFrame(rows, columns=_COLUMNS).astype({"basis": object})
    out["mu"] = out["mu"].astype(float)
    blank = out["mu"].isna().to_numpy()
    if blank.any():
        given = out.loc[~blank].groupby("parcel_id")["mu"].sum()
        rows_blank = out.loc[blank]
        parcel = rows_blank["parcel_id"]
        shares = parcel.map(parcel.value_counts())
        rest = (parcel.map(area) - parcel.map(given).fillna(0.0)).clip(lower=0.0)
        known = rest.notna().to_numpy()
        what = np.where(
            shares == 1,
            " (rest of the parcel)",
            " (rest of the parcel shared by " + shares.astype(str) + " projects)",
        )
        index = rows_blank.index[known]
        out.loc[index, "mu"] = (rest / shares)[known]
        out.loc[index, "basis"] = (rows_blank["basis"] + what)[known]
    return out


def _ids(frame: pd.DataFrame, column: str) -> list[str | None]:
    if column not in frame.columns:
        return [None] * len(frame)
    out: list[str | None] = []
    for value in frame[column].to_numpy(dtype=object):
        if type(value) is str:
            out.append(value.strip() or None)
            continue
        if value is None or (isinstance(value, float) and value != value):
            out.append(None)
        elif isinstance(value, float) and value.is_integer():
            out.append(str(int(value)))
        else:
            text = str(value).strip()
            out.append(text or None)
    return out
