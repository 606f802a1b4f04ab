"""Plain tables over a park: areas per parcel, sums by a field, park summary.

Pure functions: they take frames and return new frames or dicts of figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from pyproj import CRS

from parkgis.errors import DataError
from parkgis.measure.area import area_m2, planar_area_mu
from parkgis.measure.crs import local_gk_crs, lonlat_bounds
from parkgis.measure.units import SQM_PER_MU
from parkgis.model.park import Park
from parkgis.model.vocab import VOCABULARIES

__all__ = ["area_by", "area_table", "park_info", "problems_table"]

_VOCAB_OF = {
    "acquisition_status": "acquisition_status",
    "acquisition_step": "acquisition_step",
    "stage": "stage",
    "title_status": "title_status",
    "land_use": "land_use",
}


def area_table(
    parcels: gpd.GeoDataFrame,
    *,
    planar: bool = False,
    crs: CRS | str | None = None,
    planar_crs: CRS | str | None = None,
    area_mu: ArrayLike | None = None,
) -> gpd.GeoDataFrame:
    """One row per parcel: id, name, status, measured area in mu and m², and its geometry.

    Where the parcels carry a declared area, it is kept beside the measured
    one with the difference in percent, never replacing it. The table is a
    GeoDataFrame with each parcel's geometry (in the parcels' CRS), so
    ``area_table(park.parcels).explore()`` or ``.to_file("areas.gpkg")``
    work; sums of it (:func:`area_by`) are plain DataFrames.

    Parameters
    ----------
    parcels
        A parcels layer with canonical columns and a CRS.
    planar
        Add ``planar_area_mu``, the planar Gauss-Kruger area.
    crs, planar_crs
        The equal-area and the Gauss-Kruger CRS to measure in, by default
        chosen from the parcels (see :func:`~parkgis.measure.area.area_m2`
        and :func:`~parkgis.measure.area.planar_crs`): give them to measure
        parts of a layer as the whole would be measured.
    area_mu
        The parcels' areas in mu as measured already (the reading's, row by
        row): taken instead of measuring again.

    Examples
    --------
    >>> from parkgis.sample import build_yuanba
    >>> table = area_table(build_yuanba().parcels)
    >>> type(table).__name__, table.geometry.name, table.crs.to_epsg()
    ('GeoDataFrame', 'geometry', 4490)
    """
    if area_mu is None:
        sqm = area_m2(parcels.geometry, crs=crs).to_numpy()
        mu = sqm / SQM_PER_MU
    else:
        mu = np.asarray(area_mu, dtype=float)
        sqm = mu * SQM_PER_MU
    columns = [
        c for c in ("parcel_id", "name", "zone", "acquisition_status") if c in parcels.columns
    ]
    out = pd.DataFrame(parcels[columns]).reset_index(drop=True)
    out["area_mu"] = mu
    out["area_m2"] = sqm
    if planar:
        out["planar_area_mu"] = planar_area_mu(parcels, crs=planar_crs).to_numpy()
    if "declared_area_mu" in parcels.columns:
        declared = pd.to_numeric(parcels["declared_area_mu"], errors="coerce").to_numpy()
        out["declared_area_mu"] = declared
        with np.errstate(divide="ignore", invalid="ignore"):
            out["difference_pct"] = np.where(
                declared > 0, (out["area_mu"] - declared) / declared * 100, np.nan
            )
    return gpd.GeoDataFrame(out, geometry=parcels.geometry.to_numpy(), crs=parcels.crs)


def area_by(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """Sum an :func:`area_table` by a field: count, mu and share of the total.

    Vocabulary fields keep their chain order (未征收 → ... → 已供地).
    """
    if by not in table.columns:
        msg = (
            f"cannot sum by {by!r}: the table has no such field; fields: {', '.join(table.columns)}"
        )
        zh = f"无法按 {by!r} 汇总：表中没有这个字段；现有字段：{'、'.join(table.columns)}"
        raise DataError(msg, zh=zh)
    keys = table[by].fillna("(blank)")
    grouped = table.assign(**{by: keys}).groupby(by, sort=False)
    out = grouped.agg(count=("area_mu", "size"), area_mu=("area_mu", "sum")).reset_index()
    total = out["area_mu"].sum()
    out["share_pct"] = out["area_mu"] / total * 100 if total else 0.0
    vocab = VOCABULARIES.get(_VOCAB_OF.get(by, ""))
    order = {code: i for i, code in enumerate(vocab.codes)} if vocab else {}
    out["_order"] = [order.get(v, len(order)) for v in out[by]]
    return (
        out.sort_values(["_order", by], kind="stable").drop(columns="_order").reset_index(drop=True)
    )


def park_info(park: Park, *, area_mu: pd.Series | None = None) -> dict[str, Any]:
    """A park's summary: counts, CRS, extent and total measured area.

    ``area_mu`` are the parcels' areas as the figures count them (the one
    reading, :func:`parkgis.check.reading.read_checked`); by default every
    parcel is measured here.
    """
    parcels = park.parcels
    crs = parcels.crs
    info: dict[str, Any] = {
        "name": park.manifest.name,
        "title": park.manifest.title,
        "crs": crs.to_string() if crs is not None else None,
        "parcels": len(parcels),
        "constraints": len(park.constraints),
        "projects": len(park.projects),
        "targets": len(park.targets),
        "allocations": len(park.allocations),
    }
    if crs is not None and len(parcels):
        if area_mu is None:
            area_mu = area_m2(parcels.geometry) / SQM_PER_MU
        else:
            info["parcels_measured"] = len(area_mu)
        info["total_area_mu"] = round(float(area_mu.sum()), 4)
        bounds = tuple(float(v) for v in parcels.total_bounds)
        if all(np.isfinite(bounds)):
            lon0, lat0, lon1, lat1 = lonlat_bounds(bounds, crs)
            info["bounds_lonlat"] = [round(v, 6) for v in (lon0, lat0, lon1, lat1)]
            info["local_gk_crs"] = f"EPSG:{local_gk_crs((lon0 + lon1) / 2).to_epsg()}"
    info["private_fields"] = ", ".join(park.manifest.private_fields)
    return info


def problems_table(problems: Iterable[Any], *, lang: str = "en") -> pd.DataFrame:
    """Validation problems as a table: code, severity, ids, message (in ``lang``)."""
    rows = [
        {
            "code": p.code,
            "severity": p.severity,
            "parcel_id": p.parcel_id,
            "project_id": p.project_id,
            "message": p.text(lang) if hasattr(p, "text") else p.message,
        }
        for p in problems
    ]
    return pd.DataFrame(rows, columns=["code", "severity", "parcel_id", "project_id", "message"])
