"""The figures a map shows beside the parcels: legend rows and summary panel.

Every area here is the measured area of the full parcel geometry
(:func:`parkgis.measure.area.gross_area_mu`), handed in by the caller, never
that of the simplified or rounded copy the map draws.

Pure: takes Series and frames, returns frames and dicts.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from parkgis.maps.style import Category
from parkgis.model.vocab import ACQUISITION

__all__ = ["legend_rows", "summary_figures"]

_ACQUIRED_FROM = ACQUISITION.rank("acquired")


def legend_rows(
    codes: pd.Series, categories: Sequence[Category], area_mu: pd.Series
) -> pd.DataFrame:
    """One row per class: code, label, colour, parcel count and total mu.

    Parameters
    ----------
    codes
        Each parcel's class code (from :func:`parkgis.maps.style.parcel_classes`).
    categories
        The classes, in legend order.
    area_mu
        Each parcel's measured area in mu, aligned with ``codes``; parcels
        without geometry (NaN) are counted but add no area.

    Examples
    --------
    >>> from parkgis.maps.style import Category
    >>> rows = legend_rows(
    ...     pd.Series(["a", "b", "a"]),
    ...     [Category("a", "A", "#000000"), Category("b", "B", "#ffffff")],
    ...     pd.Series([15.0, 7.5, 30.0]),
    ... )
    >>> rows[["code", "count", "area_mu"]].to_dict("records")
    [{'code': 'a', 'count': 2, 'area_mu': 45.0}, {'code': 'b', 'count': 1, 'area_mu': 7.5}]
    """
    frame = pd.DataFrame({"code": codes.to_numpy(), "area_mu": area_mu.to_numpy()})
    grouped = frame.groupby("code", sort=False)["area_mu"]
    counts = grouped.size()
    sums = grouped.sum(min_count=0)
    rows = [
        {
            "code": c.code,
            "label": c.label,
            "colour": c.colour,
            "count": int(counts.get(c.code, 0)),
            "area_mu": float(sums.get(c.code, 0.0)),
        }
        for c in categories
    ]
    return pd.DataFrame(rows, columns=["code", "label", "colour", "count", "area_mu"])


def summary_figures(
    parcels: pd.DataFrame, area_mu: pd.Series, *, available_mu: float
) -> dict[str, float]:
    """The summary panel's figures, in mu.

    ``total_mu`` all parcels; ``acquired_mu`` parcels acquired or further
    along the chain (acquired … supplied); ``acquiring_mu`` being acquired;
    ``unacquired_mu`` not yet acquired (the reserve, by gross area);
    ``available_mu`` as given (the shell passes
    :func:`parkgis.land.reserve.reserve_figures`'s net buildable land of acquired or
    leveled parcels held by no project, so the map and ``parkgis reserve``
    agree); ``undrawn`` the number of parcels without geometry.

    Examples
    --------
    >>> parcels = pd.DataFrame({"acquisition_status": ["acquired", "unacquired", "supplied"]})
    >>> figures = summary_figures(parcels, pd.Series([15.0, 30.0, 45.0]), available_mu=12.5)
    >>> [figures[k] for k in ("total_mu", "acquired_mu", "unacquired_mu", "available_mu")]
    [90.0, 60.0, 30.0, 12.5]
    """
    column = parcels.get("acquisition_status")
    values = [None] * len(parcels) if column is None else column.tolist()
    codes = {v: ACQUISITION.code(v) if v in ACQUISITION else None for v in set(values)}
    status = pd.Series([codes[v] for v in values], dtype=object)
    area = pd.Series(area_mu.to_numpy(), dtype=float)
    ranks = {c: ACQUISITION.rank(c) for c in codes.values() if isinstance(c, str)}
    rank = status.map(ranks).fillna(-1)
    return {
        "total_mu": float(area.sum()),
        "acquired_mu": float(area[rank >= _ACQUIRED_FROM].sum()),
        "acquiring_mu": float(area[status == "acquiring"].sum()),
        "available_mu": float(available_mu),
        "unacquired_mu": float(area[status == "unacquired"].sum()),
        "undrawn": float(area.isna().sum()),
    }
