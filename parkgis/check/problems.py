"""Validation of a park: every problem of its parcels, projects and allocations at once.

:func:`find_problems` returns a list of :class:`Problem` (never raising for bad
data); :func:`validate` raises one :class:`~parkgis.errors.SchemaError` listing
every problem of severity ``error``. Pure core: no files, printing or clock.

Codes
-----
Errors are problems that make a figure wrong (land counted twice or not at
all, a parcel that cannot be classified or measured, a link that points
nowhere); warnings are problems a planner should look at but that leave the
figures right, or whose fix is a judgement (a declared area is a ledger's
claim, a thin parcel may be a road, a hole may be a house left out on purpose).

======================  ========  ===============================================================
code                    severity  what and why this severity
======================  ========  ===============================================================
missing_field           error     a required column (or the geometry) is absent: nothing can be
                                  classified or measured without it
missing_crs             error     the parcels have no CRS: no area can be measured; the area-based
                                  checks (invalid-geometry areas, sliver, overlap, gap,
                                  area_mismatch, over_allocated) are skipped
suspect_axis_order      error     the coordinates cannot be right for the CRS (axes swapped, zone
                                  prefix, degrees as metres ...): every area would be wrong; the
                                  area-based checks are skipped
missing_parcel_id       error     a parcel without an id cannot be joined to projects or history
duplicate_parcel_id     error     two parcels with one id: joins double count
missing_project_id      error     a project without an id cannot hold land
duplicate_project_id    error     two projects with one id: joins double count
missing_value           error     a required value (``acquisition_status`` ...) is blank
broken_geometry         error     a feature whose geometry could not be read right (undecodable,
                                  NaN/inf coordinates, fewer than 3 corners or all on a line, a
                                  ring left open by more than 1 m, coordinates that cannot be right
                                  for the CRS where the rest of the file's are); the rest of the
                                  file was read, the feature is kept without geometry and named
unclosed_ring           warning   a ring whose last point was within 1 m of its first: closed by
                                  repeating the first point and measured so; the gap is stated
curved_geometry         warning   a curve (CurvePolygon, CompoundCurve, MultiSurface) linearised
                                  with a point every 0.5° of arc; the area difference is stated
null_geometry           error     a parcel with no geometry has no area
empty_geometry          error     a parcel with an empty geometry has no area
not_polygon             error     a point or line parcel has no area
invalid_geometry        error     area and overlays of an invalid polygon are unreliable
unknown_status          error     a status, step, stage, title or funding value that is not a
                                  canonical code: the parcel or project falls out of every sum
unknown_value           error     the same for other vocabularies (``land_use``, constraint kind)
bad_area                error     a declared or allocated area that is not a non-negative area
bad_land_demand         error     a land demand that is negative or cannot be parsed (``约30亩``
                                  parses): the demand and shortfall would be wrong
bad_number              error     a number field (``investment_wan`` ...) that is not a number
bad_date                error     a date that cannot be read: quarterly pipeline figures need it
bad_value               error     any other value the reader reported as not understood
approximate_value       warning   a value written as approximate (``约30亩``, ``30亩左右``,
                                  ``~30``): read as the number, the doubt stated
doubtful_value          warning   a value read with a doubt the message names (``1e1``, an Excel
                                  serial date, a unit converted)
unknown_project         error     a parcel's project_id names no project, or a project's
                                  ``parcel_ids`` names no parcel
overlap                 error     land inside two parcels is counted twice
area_mismatch           warning   the ledger's declared area differs from the measured one by
                                  more than ``area_tolerance``: measured areas are used anyway
sliver                  warning   a parcel below ``sliver_mu`` or very thin: usually a digitising
                                  leftover, but it may be a road or a corridor
allocation_unknown      error     an allocation names a parcel or project that does not exist
over_allocated          error     a parcel's allocations sum above its measured area (+0.1 %)
gap                     warning   a small hole enclosed by parcels: land no parcel holds, but it
                                  may be left out on purpose (a house not acquired)
narrow_gap              warning   two neighbours whose boundaries do not meet: an open strip
                                  narrower than ``gap_width_m`` between them (a digitising
                                  leftover, or a lane or ditch kept on purpose)
======================  ========  ===============================================================

Measures and thresholds
-----------------------
- Areas are measured once, on the GRS80 ellipsoid, with
  :func:`~parkgis.measure.area.gross_area_mu` over the whole layer.
- ``invalid_geometry``: the reason is :func:`shapely.is_valid_reason`. The area
  *before* repair is the area of ``make_valid(method="structure")``: the rings
  as drawn, with the lobes of a bow-tie summed, overlapping parts of a
  multipolygon counted once and holes removed (a shoelace area "as written"
  would cancel a bow-tie's lobes to zero; it is given too, as
  ``area_as_written_mu``). The area *after* repair is that of the default
  :func:`shapely.make_valid` (the linework method, which can turn a part inside
  another into a hole); ``buffer(0)``, which can drop half a bow-tie, is given
  as ``area_after_buffer0_mu``. When the repair changes the area by more than
  0.1 % the message says not to repair automatically. Other area-based checks
  use the structure-repaired geometry for overlaps and gaps and skip the
  parcel for sliver and area_mismatch (its area is in doubt).
- ``sliver``: area below ``sliver_mu``, or thinness 4πA/P² below 0.05 (1 for
  a circle, π/4 for a square; 0.05 is a rectangle of about 1:62, e.g.
  310 m × 5 m; 300 m × 4 m gives 0.041). The thinness test is not applied to parcels whose
  ``land_use`` is ``road``. The ratio is taken in the layer's projected
  coordinates (conformal projections keep shapes locally) or, for geographic
  coordinates, in the local Gauss-Kruger zone.
- ``overlap``: pairs found with an STRtree whose interiors intersect
  (DE-9IM ``T********``, so touching edges and corners are not overlaps), each
  pair once, reported on the parcel of the lower row; overlaps below 1 m² on
  the ellipsoid are ignored as digitising noise.
- ``gap``: interior rings of the union of all parcels, between 1 m² and
  ``gap_max_mu``; larger holes are unmapped land, not gaps. Only enclosed
  holes are found (an open notch in the park's outline is not a gap). The
  union is not computed: the holes are the faces of the edges that
  neighbours do not share that no parcel covers (:mod:`parkgis.check.coverage`),
  and the exact overlap test is left for pairs that do not share an edge
  cleanly.
- ``narrow_gap``: :func:`shapely.coverage_invalid_edges` with ``gap_width_m``
  (in the layer's projected coordinates, or the local Gauss-Kruger zone for
  geographic ones) over the valid parcels: an edge that does not match its
  neighbour's; each pair of neighbours that do not overlap but lie closer
  than ``gap_width_m`` along at least 10 m of boundary is reported once, with
  the narrowest and widest distance (up to ``gap_width_m``) and the length of
  the unmatched boundary. Shorter wedges (where two parcels meet at a corner,
  or a notch in the park's outline) are not reported.
- ``area_mismatch``: ``|declared - measured| / measured > area_tolerance``.
- ``over_allocated``: the given ``mu`` of a parcel's allocations sum above
  its measured area by more than 0.1 %. An allocation whose ``mu`` is blank
  takes the rest of the parcel (as in :mod:`parkgis.land.allocation`), so it never
  over-allocates by itself.
- A parcel's ``project_id`` and a project's ``parcel_ids`` may list several
  ids, split as :func:`parkgis.land.allocation.split_ids` does.

Order
-----
Problems come in a stable order: table by table (parcels, projects,
allocations, then others); within a table first the problems of the whole
table (missing field, CRS), then row by row in the order of :data:`CODES`,
then the problems of several rows (gaps, by their first neighbouring row).

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> from parkgis.model.park import Manifest, Park
>>> parcels = gpd.GeoDataFrame(
...     {"parcel_id": ["A", "B"], "acquisition_status": ["acquired", "leveled"]},
...     geometry=[box(590_000, 3_577_000, 590_100, 3_577_100),
...               box(590_090, 3_577_000, 590_190, 3_577_100)],
...     crs="EPSG:4544",
... )
>>> [(p.code, p.parcel_id, p.details["other_parcel_id"])
...  for p in find_problems(Park(Manifest("demo"), parcels))]
[('overlap', 'A', 'B')]
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from parkgis.check.coverage import Edges, edge_balance, uncovered_faces
from parkgis.check.geometry import Shapes, parcel_shapes, restored_shapes
from parkgis.check.memo import GeometryMemo, Remembered, geometry_key
from parkgis.errors import AreaParseError, SchemaError
from parkgis.land.allocation import split_ids
from parkgis.measure.area import gross_area_mu
from parkgis.measure.crs import diagnose_coordinates, local_gk_crs
from parkgis.measure.units import SQM_PER_MU, parse_area
from parkgis.model.park import Park
from parkgis.model.schema import TABLES, Field, ValueIssue, parse_date
from parkgis.model.values import id_text, ids_text, is_blank
from parkgis.model.vocab import Vocabulary

__all__ = [
    "CODES",
    "GROUP_OVER",
    "Checked",
    "Problem",
    "check_park",
    "find_problems",
    "grouped",
    "validate",
]

_ERROR, _WARNING = "error", "warning"

CODES: dict[str, str] = {
    "missing_field": _ERROR,
    "missing_crs": _ERROR,
    "suspect_axis_order": _ERROR,
    "missing_parcel_id": _ERROR,
    "duplicate_parcel_id": _ERROR,
    "missing_project_id": _ERROR,
    "duplicate_project_id": _ERROR,
    "missing_value": _ERROR,
    "broken_geometry": _ERROR,
    "unclosed_ring": _WARNING,
    "curved_geometry": _WARNING,
    "null_geometry": _ERROR,
    "empty_geometry": _ERROR,
    "not_polygon": _ERROR,
    "invalid_geometry": _ERROR,
    "unknown_status": _ERROR,
    "unknown_value": _ERROR,
    "bad_area": _ERROR,
    "bad_land_demand": _ERROR,
    "bad_number": _ERROR,
    "bad_date": _ERROR,
    "bad_value": _ERROR,
    "approximate_value": _WARNING,
    "doubtful_value": _WARNING,
    "unknown_project": _ERROR,
    "overlap": _ERROR,
    "area_mismatch": _WARNING,
    "sliver": _WARNING,
    "allocation_unknown": _ERROR,
    "over_allocated": _ERROR,
    "gap": _WARNING,
    "narrow_gap": _WARNING,
}
"""Every problem code, in the order problems of one row are listed, with its severity."""
_CODE_RANK = {code: rank for rank, code in enumerate(CODES)}

# Vocabularies that record where a parcel or project stands in a chain.
_STATUS_VOCABS = frozenset(
    {"acquisition_status", "acquisition_step", "stage", "title_status", "funding_status"}
)
_TABLE_ORDER = ("parcels", "projects", "allocations", "constraints", "targets")
_MIN_SQM = 1.0  # overlaps and gaps below this are digitising noise
_NARROW_MIN_LENGTH_M = 10.0  # a narrow gap runs along at least this much boundary
_THINNESS_MIN = 0.05  # 4πA/P²: a rectangle of about 1:62
_REPAIR_TOLERANCE = 0.001  # a repair changing the area by more than 0.1 % is escalated
_ALLOCATION_TOLERANCE = 0.001
_AREA_CHECKS = "invalid-geometry areas, sliver, overlap, gap, area_mismatch, over_allocated"
_AREA_CHECKS_ZH = (
    "无效几何的面积、碎片（sliver）、重叠（overlap）、缝隙（gap）、面积不符（area_mismatch）、"
    "超额分配（over_allocated）"
)
# Blank keys of these tables are reported as missing_parcel_id / missing_project_id.
_KEYS_CHECKED_AS_IDS = frozenset({("parcels", "parcel_id"), ("projects", "project_id")})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# report(pos, text, text_zh, **details): a problem at a row position
_Report = Callable[..., None]
# add(code, pos, message, message_zh, **details): a problem of a parcel
_Add = Callable[..., None]


@dataclass(frozen=True)
class Problem:
    """One validation problem: what, where, how bad, and the figures.

    Attributes
    ----------
    code
        One of :data:`CODES`, e.g. ``"overlap"``.
    severity
        ``"error"`` (the figures would be wrong) or ``"warning"``.
    message
        What is wrong, where, with the figures, and what to do.
    parcel_id, project_id
        The ids concerned, when there are.
    message_zh
        The message in Chinese, when there is one (see :meth:`text`).
    row
        1-based row in the source table; None for problems of a whole table or
        of several rows.
    table
        ``"parcels"``, ``"projects"``, ``"allocations"`` ...
    details
        The figures and ids behind the message (``overlap_mu``,
        ``other_parcel_id``, ``declared_mu``, ``measured_mu`` ...).
    """

    code: str
    severity: str
    message: str
    parcel_id: str | None = None
    project_id: str | None = None
    row: int | None = None
    table: str = "parcels"
    details: dict[str, Any] = field(default_factory=dict, hash=False)
    message_zh: str | None = None

    def text(self, lang: str = "en") -> str:
        """The message in ``lang``; English where no Chinese is given."""
        return self.message_zh if lang == "zh" and self.message_zh else self.message

    def to_dict(self) -> dict[str, Any]:
        """Return the problem as a JSON-ready dict (plain types; NaN as None).

        Examples
        --------
        >>> Problem("gap", "warning", "a gap", details={"gap_mu": 0.3}).to_dict()["details"]
        {'gap_mu': 0.3}
        """
        return {
            "code": self.code,
            "severity": self.severity,
            "table": self.table,
            "row": self.row,
            "parcel_id": self.parcel_id,
            "project_id": self.project_id,
            "message": self.message,
            "message_zh": self.message_zh,
            "details": _plain(self.details),
        }


def check_park(
    park: Park,
    *,
    value_issues: Sequence[ValueIssue] = (),
    sliver_mu: float = 0.1,
    gap_max_mu: float = 5.0,
    area_tolerance: float = 0.01,
    gap_width_m: float = 3.0,
    rows: Sequence[int] | np.ndarray | None = None,
    area_mu: Sequence[float] | np.ndarray | None = None,
    group_over: int | None = None,
    memo: GeometryMemo | None = None,
) -> Checked:
    """Check a park: every problem, and each parcel's geometry and area as figures use them.

    Parameters
    ----------
    park
        The park. Its tables may hold raw values (built in code): vocabulary
        values that are not canonical codes are reported too.
    value_issues
        Values the reader could not understand while normalising; those in
        ``park.value_issues`` are taken as well. A cell is reported once.
    sliver_mu
        Parcels measuring less are slivers.
    gap_max_mu
        Holes between parcels smaller than this are gaps; larger ones are
        unmapped land and not reported. 0 turns the gap check off.
    area_tolerance
        Relative difference between declared and measured area above which
        ``area_mismatch`` is reported (0.01 = 1 %).
    gap_width_m
        Neighbours closer than this (in metres) whose boundaries do not meet
        are a ``narrow_gap``; 0 turns the check off.
    rows
        The 1-based row of each parcel in the whole layer, when ``park.parcels``
        is a part of it (a partition, see :mod:`parkgis.engine.dask`); by
        default 1, 2, ... Problems and messages name these rows.
    area_mu
        The parcels' areas in mu, measured already (partition by partition):
        the geometry is then not checked here, only the other fields and
        tables, and these areas are used for ``over_allocated``.
    group_over
        Report more than this many problems of one kind (code, table and
        field) as one problem with their count and first ids (see
        :func:`grouped`); None (the default) lists each.
    memo
        Where the geometry checks of unchanged layers are remembered
        (:mod:`parkgis.check.memo`): a layer whose geometry, ids, land uses,
        declared areas, CRS and options are those of a remembered check gets
        its problems and areas from it. Not used with ``rows``.

    Returns
    -------
    Checked
        The problems in a stable order (see the module docstring), each
        parcel's geometry as figures measure it, and its area in mu.
    """
    found = _Found(parcel_rows=rows)
    for issue in (*value_issues, *getattr(park, "value_issues", ())):
        _value_issue_problem(issue, park, found)

    parcels = park.parcels
    parcel_ids = _ids(parcels, "parcel_id")
    _check_required(parcels, "parcels", found, always=True)
    parsed = _check_values(parcels, "parcels", found)
    if "parcel_id" in parcels.columns:
        _check_ids(parcel_ids, "parcels", "parcel_id", found)

    geoms = _geometry(parcels) if area_mu is None else None
    shapes = None
    if area_mu is not None:
        area_mu = np.asarray(area_mu, dtype=float)
    elif geoms is None:
        area_mu = np.full(len(parcels), np.nan)
        found.add(
            "missing_field",
            "parcels: the layer has no geometry column, so nothing can be mapped or measured; "
            "read the parcels from a spatial file (shapefile, GeoPackage, GeoJSON)",
            field_name="geometry",
            message_zh="地块：图层没有几何列，无法制图，也无法量算面积；请从空间数据文件"
            "（shapefile、GeoPackage、GeoJSON）读取地块",
        )
    else:
        land_use = parcels["land_use"].to_numpy() if "land_use" in parcels.columns else None
        declared = parsed.get("declared_area_mu", np.full(len(parcels), np.nan))
        limits = {
            "sliver_mu": sliver_mu,
            "gap_max_mu": gap_max_mu,
            "area_tolerance": area_tolerance,
            "gap_width_m": gap_width_m,
        }
        key = None
        if memo is not None and rows is None:
            reported = (r for t, f, r in found.cells if t == "parcels" and f == "geometry")
            key = geometry_key(geoms, parcels.crs, parcel_ids, land_use, declared, reported, limits)
        known = memo.get(key) if key is not None else None
        if known is not None and known.fits(len(parcels)):
            shapes, area_mu = restored_shapes(geoms, known.flags), known.area_mu.copy()
            found.extend(known.items)
        else:
            shapes = parcel_shapes(geoms)
            start = len(found)
            area_mu = _check_geometry(
                shapes, parcels.crs, parcel_ids, land_use, declared, found, **limits
            )
            if key is not None:
                memo.put(key, Remembered(shapes.flags(), area_mu.copy(), found.since(start)))

    projects = park.projects
    project_ids = _ids(projects, "project_id")
    _check_required(projects, "projects", found)
    _check_values(projects, "projects", found)
    if "project_id" in projects.columns:
        _check_ids(project_ids, "projects", "project_id", found)
    _check_references(parcels, parcel_ids, projects, project_ids, found)

    if len(park.allocations):
        _check_allocations(park.allocations, parcel_ids, project_ids, area_mu, found)
    problems = found.sorted()
    if group_over is not None:
        problems = grouped(problems, over=group_over, no_projects=not len(projects))
    return Checked(tuple(problems), shapes, area_mu)


def find_problems(park: Park, **options: Any) -> list[Problem]:
    """Find every problem of a park's parcels, projects and allocations.

    The problems of :func:`check_park` (which see for the options), in a
    stable order (see the module docstring); empty for a clean park.
    """
    return list(check_park(park, **options).problems)


GROUP_OVER = 100
"""``parkgis validate`` reports more problems of one kind than this as one (see :func:`grouped`)."""

_GROUPED = frozenset(
    {
        "missing_value",
        "unknown_status",
        "unknown_value",
        "bad_area",
        "bad_land_demand",
        "bad_number",
        "bad_date",
        "bad_value",
        "approximate_value",
        "doubtful_value",
        "unknown_project",
        "area_mismatch",
        "sliver",
        "allocation_unknown",
    }
)
"""Codes of problems of one row's values that many rows can share; geometry problems that
say how a parcel is measured (invalid, broken, missing), overlaps and gaps stay one by one."""
_GROUP_SHOWN = 20  # ids named in a grouped problem


def grouped(problems: Sequence[Problem], *, over: int, no_projects: bool = False) -> list[Problem]:
    """Problems with each kind of more than ``over`` rows reported as one.

    A kind is a code (of :data:`_GROUPED`: problems of values and references,
    not of how a parcel is measured), a table and a field. Its problems become
    one problem, in the place of the first, with its row and ids, and in
    ``details``: ``count``, ``rows``, ``parcel_ids`` and ``project_ids`` (the
    first 20 of each), ``field`` and the first problem's ``first_message``.

    Parameters
    ----------
    problems
        Problems in :func:`check_park`'s order.
    over
        Kinds with more problems than this are grouped.
    no_projects
        The park has no project table: ``unknown_project`` says so.

    Examples
    --------
    >>> many = [Problem("sliver", "warning", f"row {k} is thin", parcel_id=f"P{k}", row=k)
    ...         for k in range(1, 6)]
    >>> [(p.row, p.details["count"], p.details["parcel_ids"][:2]) for p in grouped(many, over=3)]
    [(1, 5, ['P1', 'P2'])]
    """
    kinds: dict[tuple[str, str, Any], list[int]] = {}
    for k, p in enumerate(problems):
        if p.code in _GROUPED:
            kinds.setdefault((p.table, p.code, p.details.get("field")), []).append(k)
    big = {kind: members for kind, members in kinds.items() if len(members) > over}
    if not big:
        return list(problems)
    replace: dict[int, Problem] = {}
    drop: set[int] = set()
    for (table, code, field_name), members in big.items():
        shown = [problems[k] for k in members[:_GROUP_SHOWN]]
        replace[members[0]] = _group_of(
            shown, len(members), table, code, field_name, no_projects=no_projects
        )
        drop.update(members[1:])
    return [replace.get(k, p) for k, p in enumerate(problems) if k not in drop]


def _group_of(
    shown: list[Problem],
    count: int,
    table: str,
    code: str,
    field_name: str | None,
    *,
    no_projects: bool,
) -> Problem:
    first = shown[0]
    names = [p.parcel_id if table == "parcels" else p.project_id for p in shown]
    pairs = list(zip(names, shown, strict=True))
    named = [str(n) if n is not None else f"row {p.row}" for n, p in pairs]
    named_zh = [str(n) if n is not None else f"第 {p.row} 行" for n, p in pairs]
    more = f" and {count - len(shown):,} more" if count > len(shown) else ""
    more_zh = f" 等（另有 {count - len(shown):,} 个）" if count > len(shown) else ""
    label = _label_zh(table)
    if code == "unknown_project" and table == "parcels" and no_projects:
        message = (
            f"{count:,} parcels name projects, and there is no project table: {', '.join(named)}"
            f"{more}; add the projects table (projects.csv, or --projects LEDGER) or clear "
            f"their project_id"
        )
        message_zh = (
            f"{count:,} 个地块填写了项目编号，但没有项目表：{'、'.join(named_zh)}{more_zh}；"
            f"请添加项目表（projects.csv，或 --projects 台账），或清空它们的 project_id"
        )
    else:
        what = f"{code} ({field_name})" if field_name else code
        message = (
            f"{table}: {count:,} rows have the same problem, {what}: {', '.join(named)}{more}. "
            f"The first: {first.message}"
        )
        message_zh = (
            f"{label}：{count:,} 行有同一问题 {what}：{'、'.join(named_zh)}{more_zh}。"
            f"第一个：{first.text('zh')}"
        )
    details: dict[str, Any] = {
        "count": count,
        "rows": [p.row for p in shown],
        "parcel_ids": [p.parcel_id for p in shown],
        "project_ids": [p.project_id for p in shown],
        "first_message": first.message,
    }
    if field_name is not None:
        details = {"field": field_name, **details}
    return Problem(
        code=code,
        severity=first.severity,
        message=message,
        parcel_id=first.parcel_id,
        project_id=first.project_id,
        row=first.row,
        table=table,
        details=details,
        message_zh=message_zh,
    )


@dataclass(frozen=True)
class Checked:
    """What :func:`check_park` found.

    Attributes
    ----------
    problems
        Every problem, in a stable order.
    shapes
        The parcels' geometries sorted by how they can be measured
        (:func:`~parkgis.check.geometry.parcel_shapes`); None when the layer
        has no geometry or the areas were given.
    area_mu
        Each parcel's measured area in mu, aligned with the parcels; NaN where
        it cannot be measured.
    """

    problems: tuple[Problem, ...]
    shapes: Shapes | None
    area_mu: np.ndarray


def validate(park: Park, **kw: Any) -> None:
    """Raise one :class:`~parkgis.errors.SchemaError` listing every error of ``park``.

    Warnings (``area_mismatch``, ``sliver``, ``gap``) do not raise.

    Parameters
    ----------
    park
        The park to check.
    **kw
        Options of :func:`find_problems`.

    Raises
    ------
    SchemaError
        With ``.problems`` holding every problem of severity ``error``.
    """
    errors = [p for p in find_problems(park, **kw) if p.severity == _ERROR]
    if errors:
        raise SchemaError(errors)


# -- collecting --------------------------------------------------------------


class _Found:
    """Problems found so far, with their sort keys and the cells already reported."""

    def __init__(self, *, parcel_rows: Sequence[int] | np.ndarray | None = None) -> None:
        self._items: list[tuple[tuple[Any, ...], Problem]] = []
        self.cells: set[tuple[str, str, int]] = set()
        self._parcel_rows = None if parcel_rows is None else np.asarray(parcel_rows, dtype=int)

    def row(self, table: str, pos: int) -> int:
        """The 1-based row of position ``pos`` of ``table`` (parcels: in the whole layer)."""
        if table == "parcels" and self._parcel_rows is not None:
            return int(self._parcel_rows[pos])
        return int(pos) + 1

    def add(
        self,
        code: str,
        message: str,
        *,
        table: str = "parcels",
        row: int | None = None,
        parcel_id: str | None = None,
        project_id: str | None = None,
        field_name: str | None = None,
        tiebreak: tuple[int, ...] = (),
        severity: str | None = None,
        message_zh: str | None = None,
        **details: Any,
    ) -> None:
        row = None if row is None else int(row)
        if field_name is not None:
            details = {"field": field_name, **details}
            if row is not None:
                self.cells.add((table, field_name, row))
            schema = TABLES.get(table)
            names = schema.names if schema is not None else []
            tiebreak = (names.index(field_name) if field_name in names else len(names), *tiebreak)
        problem = Problem(
            code=code,
            severity=severity or CODES[code],
            message=message,
            message_zh=message_zh,
            parcel_id=parcel_id,
            project_id=project_id,
            row=row,
            table=table,
            details=details,
        )
        rank = _TABLE_ORDER.index(table) if table in _TABLE_ORDER else len(_TABLE_ORDER)
        group = 1 if row is not None else (2 if code == "gap" else 0)
        key = (rank, table, group, row or 0, _CODE_RANK[code], tiebreak)
        self._items.append((key, problem))

    def sorted(self) -> list[Problem]:
        return [p for _, p in sorted(self._items, key=lambda item: item[0])]

    def __len__(self) -> int:
        return len(self._items)

    def since(self, start: int) -> tuple[tuple[Any, Problem], ...]:
        """The problems added since there were ``start``, with their sort keys."""
        return tuple(self._items[start:])

    def extend(self, items: Sequence[tuple[Any, Problem]]) -> None:
        """Add problems found before (:meth:`since`), the cells they report included."""
        for key, problem in items:
            name = problem.details.get("field")
            if name is not None and problem.row is not None:
                self.cells.add((problem.table, name, problem.row))
            self._items.append((key, problem))


def _where(table: str, row: int, key_name: str | None, key: str | None) -> str:
    if key_name is None:
        return f"{table} row {row}"
    return f"{table} row {row} ({key_name}={key})" if key else f"{table} row {row} (no {key_name})"


def _where_zh(table: str, row: int, key_name: str | None, key: str | None) -> str:
    schema = TABLES.get(table)
    label = schema.zh if schema is not None else table
    if key_name is None:
        return f"{label}第 {row} 行"
    if not key:
        return f"{label}第 {row} 行（无 {key_name}）"
    return f"{label}第 {row} 行（{key_name}={key}）"


def _label_zh(table: str) -> str:
    schema = TABLES.get(table)
    return schema.zh if schema is not None else table


def _zh_of(exc: BaseException) -> str:
    """The Chinese text of a parkgis error, else its English text."""
    return getattr(exc, "zh", None) or str(exc)


def _advise_zh(text: str, advice: str = "请更正") -> str:
    """``text`` with ``advice`` appended, unless it says what to do (``请…``) already."""
    return text if "请" in text else f"{text}；{advice}"


def _table_key(table: str) -> str | None:
    schema = TABLES.get(table)
    return schema.key if schema is not None else None


def _ids_for(table: str, key: str | None) -> dict[str, str | None]:
    if table == "parcels":
        return {"parcel_id": key}
    if table in {"projects", "allocations"}:
        return {"project_id": key}
    return {}


# -- values ------------------------------------------------------------------


def _issue_code(table: str, field_name: str) -> str:
    if field_name == "geometry":  # a feature whose geometry could not be decoded at all
        return "broken_geometry"
    schema = TABLES.get(table)
    f = next((f for f in schema.fields if f.name == field_name), None) if schema else None
    if f is None:
        return "bad_value"
    if f.vocabulary is not None:
        return "unknown_status" if f.vocabulary.name in _STATUS_VOCABS else "unknown_value"
    if f.name == "land_demand_mu":
        return "bad_land_demand"
    return {"area_mu": "bad_area", "date": "bad_date", "number": "bad_number"}.get(
        f.kind, "bad_value"
    )


def _value_issue_problem(issue: ValueIssue, park: Park, found: _Found) -> None:
    if (issue.table, issue.field, issue.row) in found.cells:
        return
    key_name = _table_key(issue.table)
    ids = _ids_for(issue.table, issue.key)
    if issue.table == "allocations":
        ids["parcel_id"] = _id_at(park.allocations, "parcel_id", issue.row - 1)
    where = _where(issue.table, issue.row, key_name, issue.key)
    where_zh = _where_zh(issue.table, issue.row, key_name, issue.key)
    if issue.severity == _WARNING:
        message = f"{where}: {issue.message}"
        message_zh = f"{where_zh}：{issue.message_zh or issue.message}"
    else:
        message = f"{where}: {issue.message}; correct the value in the source table"
        message_zh = _advise_zh(
            f"{where_zh}：{issue.message_zh or issue.message}", "请在源表中更正"
        )
    found.add(
        issue.code or _issue_code(issue.table, issue.field),
        message,
        table=issue.table,
        row=issue.row,
        field_name=issue.field,
        value=issue.value,
        severity=issue.severity,
        message_zh=message_zh,
        **ids,
    )


def _check_required(
    frame: pd.DataFrame, table: str, found: _Found, *, always: bool = False
) -> None:
    if not always and not len(frame):
        return
    for f in TABLES[table].fields:
        if f.required and f.name not in frame.columns:
            found.add(
                "missing_field",
                f"{table}: the required field {f.name} ({f.zh}) is absent; add the column, "
                f"or map an existing column to it with --field {f.name}=<column>",
                table=table,
                field_name=f.name,
                message_zh=f"{_label_zh(table)}：缺少必填字段 {f.name}（{f.zh}）；请添加这一列，"
                f"或用 --field {f.name}=<列名> 把已有的列对应到它",
            )


def _check_values(frame: pd.DataFrame, table: str, found: _Found) -> dict[str, np.ndarray]:
    """Report raw values a reader would have refused; return area and number fields as floats."""
    schema = TABLES[table]
    key_name = schema.key
    keys = _ids(frame, key_name)
    # Allocations are keyed by project; name their parcel too.
    parcel_keys = _ids(frame, "parcel_id") if table == "allocations" else None
    parsed: dict[str, np.ndarray] = {}

    def ids_at(pos: int) -> dict[str, str | None]:
        ids = _ids_for(table, keys[pos])
        if parcel_keys is not None:
            ids["parcel_id"] = parcel_keys[pos]
        return ids

    for f in schema.fields:
        if f.name not in frame.columns:
            continue
        column = frame[f.name]
        values = column.to_numpy(dtype=object)

        def report(pos: int, text: str, text_zh: str, f: Field = f, **details: Any) -> None:
            row = found.row(table, pos)
            if (table, f.name, row) in found.cells:
                return
            where = _where(table, row, key_name, keys[pos])
            found.add(
                _issue_code(table, f.name),
                f"{where}: {text}",
                message_zh=f"{_where_zh(table, row, key_name, keys[pos])}：{text_zh}",
                table=table,
                row=row,
                field_name=f.name,
                **ids_at(pos),
                **details,
            )

        if f.required and (table, f.name) not in _KEYS_CHECKED_AS_IDS:
            for pos in np.flatnonzero([is_blank(v) for v in values]):
                row = found.row(table, pos)
                if (table, f.name, row) not in found.cells:
                    where = _where(table, row, key_name, keys[pos])
                    found.add(
                        "missing_value",
                        f"{where}: {f.name} ({f.zh}) is blank; every row of {table} needs one",
                        message_zh=f"{_where_zh(table, row, key_name, keys[pos])}：{f.name}"
                        f"（{f.zh}）为空；{_label_zh(table)}的每一行都必须填写",
                        table=table,
                        row=row,
                        field_name=f.name,
                        **ids_at(pos),
                    )
        if f.vocabulary is not None:
            _check_terms(f, f.vocabulary, column, report)
        elif f.kind in {"area_mu", "number"}:
            parsed[f.name] = _check_numbers(f, values, report)
        elif f.kind == "date":
            _check_dates(f, values, report)
    return parsed


def _check_terms(f: Field, vocab: Vocabulary, column: pd.Series, report: _Report) -> None:
    """Report vocabulary values that are not canonical codes (aliases included)."""
    values = column.to_numpy(dtype=object)
    for pos in np.flatnonzero(~column.isin(vocab.codes).to_numpy()):
        value = values[pos]
        if is_blank(value):
            continue
        if isinstance(value, str) and value in vocab:
            code = vocab.code(value)
            report(
                pos,
                f"{f.name} {value!r} is the term '{code}' written as a label or alias, not as "
                f"its code; store '{code}' (reading the table with parkgis.io normalises it)",
                f"{f.name}（{f.zh}）的值 {value!r} 是术语 '{code}' 的名称或别名，不是代码；请存为 "
                f"'{code}'（用 parkgis.io 读取表格时会自动规范）",
                value=value,
                canonical=code,
            )
        else:
            accepted = ", ".join(f"{t.code}/{t.zh}" for t in vocab.terms)
            accepted_zh = "、".join(f"{t.code}/{t.zh}" for t in vocab.terms)
            report(
                pos,
                f"{f.name} {value!r} is not a known term; expected one of: {accepted} "
                f"(or an alias in parkgis/model/vocab.toml); correct the value",
                f"{f.name}（{f.zh}）的值 {value!r} 不是已知术语；应为以下之一：{accepted_zh}"
                f"（或 parkgis/model/vocab.toml 中的别名）；请更正",
                value=_plain(value),
                canonical=None,
            )


def _check_dates(f: Field, values: np.ndarray, report: _Report) -> None:
    """Report dates that cannot be read (written dates such as 2024年6月 are accepted)."""
    for pos, value in enumerate(values):
        if is_blank(value) or isinstance(value, (dt.date, pd.Timestamp)):
            continue
        if isinstance(value, str) and _ISO_DATE.match(value):
            try:
                dt.date.fromisoformat(value)
                continue
            except ValueError:
                pass
        try:
            parse_date(value, what=f.name)
        except ValueError as exc:
            report(pos, f"{exc}; correct the value", _advise_zh(_zh_of(exc)), value=_plain(value))


def _check_numbers(f: Field, values: np.ndarray, report: _Report) -> np.ndarray:
    numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(float)
    out = numbers.copy()
    for pos in np.flatnonzero(~(np.isfinite(numbers) & (numbers >= 0))):
        value = values[pos]
        if is_blank(value):
            out[pos] = np.nan
            continue
        if f.kind == "area_mu":
            try:
                out[pos] = parse_area(value, default_unit="亩")
            except AreaParseError as exc:
                out[pos] = np.nan
                report(
                    pos, f"{exc}; correct the value", _advise_zh(_zh_of(exc)), value=_plain(value)
                )
        else:
            try:
                out[pos] = float(str(value).strip().replace(",", "").replace("，", ""))
            except ValueError:
                out[pos] = np.nan
                report(
                    pos,
                    f"{f.name} {value!r} is not a number; correct it",
                    f"{f.name}（{f.zh}）的值 {value!r} 不是数字；请更正",
                    value=_plain(value),
                )
            else:
                if not math.isfinite(out[pos]):
                    report(
                        pos,
                        f"{f.name} {value!r} is not a finite number",
                        f"{f.name}（{f.zh}）的值 {value!r} 不是有限的数字；请更正",
                        value=_plain(value),
                    )
                    out[pos] = np.nan
    return out


def _check_ids(ids: list[str | None], table: str, key_name: str, found: _Found) -> None:
    missing_code, duplicate_code = f"missing_{key_name}", f"duplicate_{key_name}"
    first: dict[str, int] = {}
    for pos, key in enumerate(ids):
        row = found.row(table, pos)
        if key is None:
            found.add(
                missing_code,
                f"{table} row {row}: {key_name} is blank; give every row a unique id",
                message_zh=f"{_label_zh(table)}第 {row} 行：{key_name} 为空；"
                f"请给每一行一个唯一的编号",
                table=table,
                row=row,
                field_name=key_name,
            )
        elif key in first:
            found.add(
                duplicate_code,
                f"{table} row {row}: {key_name} {key!r} is also the id of row {first[key]}; "
                f"ids must be unique: renumber one of them or merge the rows",
                message_zh=f"{_label_zh(table)}第 {row} 行：{key_name} {key!r} 与第 {first[key]} "
                f"行重复；编号必须唯一：请给其中一行重新编号，或合并这两行",
                table=table,
                row=row,
                field_name=key_name,
                first_row=first[key],
                **_ids_for(table, key),
            )
        else:
            first[key] = row


def _check_references(
    parcels: pd.DataFrame,
    parcel_ids: list[str | None],
    projects: pd.DataFrame,
    project_ids: list[str | None],
    found: _Found,
) -> None:
    known_parcels = {p for p in parcel_ids if p is not None}
    known_projects = {p for p in project_ids if p is not None}
    if "project_id" in parcels.columns:
        for pos, value in enumerate(parcels["project_id"].to_numpy(dtype=object)):
            absent = [p for p in split_ids(value) if p not in known_projects]
            if absent:
                row = found.row("parcels", pos)
                found.add(
                    "unknown_project",
                    f"{_where('parcels', row, 'parcel_id', parcel_ids[pos])}: project_id "
                    f"names {', '.join(absent)}, but the projects table has no such project; "
                    f"correct it or add the project",
                    message_zh=f"{_where_zh('parcels', row, 'parcel_id', parcel_ids[pos])}："
                    f"project_id 写的是 {'、'.join(absent)}，但项目表中没有这个项目；请更正，"
                    f"或在项目表中补上该项目",
                    row=row,
                    parcel_id=parcel_ids[pos],
                    project_id=absent[0],
                    field_name="project_id",
                    missing_project_ids=absent,
                )
    if "parcel_ids" in projects.columns:
        for pos, value in enumerate(projects["parcel_ids"].to_numpy(dtype=object)):
            absent = [p for p in split_ids(value) if p not in known_parcels]
            if absent:
                names = ", ".join(absent)
                found.add(
                    "unknown_project",
                    f"{_where('projects', pos + 1, 'project_id', project_ids[pos])}: parcel_ids "
                    f"names {names}, but no parcel has that id; correct parcel_ids or add the "
                    f"parcel",
                    message_zh=f"{_where_zh('projects', pos + 1, 'project_id', project_ids[pos])}："
                    f"parcel_ids 列出了 {'、'.join(absent)}，但没有这个编号的地块；请更正 "
                    f"parcel_ids，或补上该地块",
                    table="projects",
                    row=pos + 1,
                    project_id=project_ids[pos],
                    field_name="parcel_ids",
                    missing_parcel_ids=absent,
                )


def _check_allocations(
    allocations: pd.DataFrame,
    parcel_ids: list[str | None],
    project_ids: list[str | None],
    area_mu: np.ndarray,
    found: _Found,
) -> None:
    _check_required(allocations, "allocations", found)
    parsed = _check_values(allocations, "allocations", found)
    alloc_parcels = _ids(allocations, "parcel_id")
    alloc_projects = _ids(allocations, "project_id")
    mu = parsed.get("mu", np.full(len(allocations), np.nan))
    parcel_row: dict[str, int] = {}
    for pos, pid in enumerate(parcel_ids):
        if pid is not None:
            parcel_row.setdefault(pid, pos)
    known_projects = {p for p in project_ids if p is not None}

    held: dict[str, list[int]] = {}
    for pos, (parcel, project) in enumerate(zip(alloc_parcels, alloc_projects, strict=True)):
        row = pos + 1
        absent, absent_zh = [], []
        if parcel is not None and parcel not in parcel_row:
            absent.append(f"parcel {parcel!r} (no parcel has that id)")
            absent_zh.append(f"地块 {parcel!r}")
        if project is not None and project not in known_projects:
            absent.append(f"project {project!r} (no project has that id)")
            absent_zh.append(f"项目 {project!r}")
        if absent:
            found.add(
                "allocation_unknown",
                f"allocations row {row}: allocates {' to '.join(absent)}; correct the "
                f"allocation or add what it names",
                message_zh=f"{_label_zh('allocations')}第 {row} 行：{'、'.join(absent_zh)} "
                f"不存在；请更正这条分配，或补上它所指的地块或项目",
                table="allocations",
                row=row,
                parcel_id=parcel,
                project_id=project,
            )
        elif parcel is not None:
            held.setdefault(parcel, []).append(pos)

    for parcel, positions in held.items():
        measured = area_mu[parcel_row[parcel]]
        if not np.isfinite(measured):
            continue
        # A blank mu takes the rest of the parcel; a bad one is reported already.
        allocated = float(np.nansum(mu[positions]))
        if allocated > measured * (1 + _ALLOCATION_TOLERANCE):
            rows = [p + 1 for p in positions]
            projects = [alloc_projects[p] for p in positions]
            found.add(
                "over_allocated",
                f"allocations rows {', '.join(map(str, rows))}: parcel {parcel!r} is allocated "
                f"{allocated:.2f} mu in all (to {', '.join(str(p) for p in projects)}) but "
                f"measures {measured:.2f} mu, {allocated - measured:.2f} mu too many; "
                f"reduce the allocations",
                message_zh=f"{_label_zh('allocations')}第 {'、'.join(map(str, rows))} 行：地块 "
                f"{parcel!r} 共分配了 {allocated:.2f} 亩"
                f"（给 {'、'.join(str(p) for p in projects)}），但实测只有 {measured:.2f} 亩，"
                f"多分配了 {allocated - measured:.2f} 亩；请减少分配面积",
                table="allocations",
                row=rows[0],
                parcel_id=parcel,
                allocated_mu=allocated,
                measured_mu=float(measured),
                over_mu=allocated - float(measured),
                allocation_rows=rows,
                project_ids=projects,
            )


# -- geometry ----------------------------------------------------------------


def _geometry(frame: pd.DataFrame) -> np.ndarray | None:
    if not isinstance(frame, gpd.GeoDataFrame):
        return None
    try:
        series = frame.geometry
    except AttributeError:
        return None
    return np.asarray(series.array, dtype=object)


def _check_geometry(
    shapes: Shapes,
    crs: CRS | None,
    ids: list[str | None],
    land_use: np.ndarray | None,
    declared: np.ndarray,
    found: _Found,
    *,
    sliver_mu: float,
    gap_max_mu: float,
    area_tolerance: float,
    gap_width_m: float = 0.0,
) -> np.ndarray:
    """Report geometry problems; return each parcel's measured area in mu (NaN if unknown)."""
    geoms, working, usable, invalid = shapes.drawn, shapes.working, shapes.usable, shapes.invalid
    n = len(geoms)

    def where(pos: int, lang: str = "en") -> str:
        at = (found.row("parcels", pos), "parcel_id", ids[pos])
        return _where_zh("parcels", *at) if lang == "zh" else _where("parcels", *at)

    def add(code: str, pos: int, message: str, message_zh: str, **details: Any) -> None:
        found.add(
            code,
            message,
            row=found.row("parcels", pos),
            parcel_id=ids[pos],
            message_zh=message_zh,
            **details,
        )

    for pos in np.flatnonzero(shapes.missing):
        if ("parcels", "geometry", found.row("parcels", pos)) in found.cells:
            continue  # the reader said why the feature has no geometry
        add(
            "null_geometry",
            pos,
            f"{where(pos)}: has no geometry; draw its boundary or remove it",
            f"{where(pos, 'zh')}：没有几何图形；请绘制它的边界，或删除这一行",
        )
    for pos in np.flatnonzero(shapes.empty):
        add(
            "empty_geometry",
            pos,
            f"{where(pos)}: its geometry is empty; draw its boundary",
            f"{where(pos, 'zh')}：几何图形为空；请绘制它的边界",
        )
    for pos in np.flatnonzero(shapes.not_polygon):
        kind = geoms[pos].geom_type
        add(
            "not_polygon",
            pos,
            f"{where(pos)}: its geometry is a {kind}, not a polygon, so it has no area; "
            f"redraw it as a polygon",
            f"{where(pos, 'zh')}：几何图形是 {kind}，不是面（多边形），因此没有面积；"
            f"请重新绘制为多边形",
            geom_type=kind,
        )
    for pos in np.flatnonzero(shapes.nonfinite & ~shapes.not_polygon):
        if ("parcels", "geometry", found.row("parcels", pos)) in found.cells:
            continue
        add(
            "broken_geometry",
            pos,
            f"{where(pos)}: some of its coordinates are not numbers (NaN or infinite), so it "
            f"cannot be measured or drawn; correct the vertices in the source file",
            f"{where(pos, 'zh')}：部分坐标不是数值（NaN 或无穷大），无法量算，也无法绘制；"
            f"请在源文件中更正这些顶点",
            reason="non-finite coordinates",
        )

    measurable = _check_crs(crs, working[usable], found)
    area_mu = np.full(n, np.nan)
    if measurable and usable.any():
        area_mu[usable] = _mu(working[usable], crs)
    _report_invalid(geoms, working, invalid, area_mu, crs if measurable else None, add, where)
    if not measurable:
        return area_mu

    sound = usable & ~invalid
    _report_slivers(working, sound, area_mu, crs, land_use, sliver_mu, add, where)
    _report_mismatch(sound, area_mu, declared, area_tolerance, add, where)
    index = np.flatnonzero(usable)
    suspect = np.zeros(n, bool)
    if len(index):
        tree = shapely.STRtree(working[index])
        edges = edge_balance(working[index])
        suspect[index] = edges.suspect
        _report_overlaps(working, index, tree, edges, crs, ids, found)
        enclosed = _report_gaps(working, index, tree, edges, crs, ids, gap_max_mu, found)
    else:
        enclosed = []
    if gap_width_m > 0:
        sound_index = np.flatnonzero(sound)
        _report_narrow_gaps(
            working, sound_index, crs, ids, gap_width_m, found, enclosed=enclosed,
            suspect=suspect[sound_index],
        )  # fmt: skip
    return area_mu


def _check_crs(crs: CRS | None, geoms: np.ndarray, found: _Found) -> bool:
    """Report a missing or suspect CRS; return whether areas can be measured."""
    if crs is None:
        found.add(
            "missing_crs",
            f"parcels: the layer has no CRS, so no area can be measured; set it with "
            f"--crs EPSG:NNNN (e.g. EPSG:4490 or EPSG:4544) or the 'crs' key of park.toml. "
            f"Skipped: {_AREA_CHECKS}",
            message_zh=f"地块：图层没有坐标参考系（CRS），无法量算面积；请用 --crs EPSG:NNNN"
            f"（如 EPSG:4490 或 EPSG:4544）或 park.toml 的 'crs' 键指定。已跳过：{_AREA_CHECKS_ZH}",
        )
        return False
    if not len(geoms):
        return True
    bounds = tuple(float(v) for v in shapely.total_bounds(geoms))
    check = diagnose_coordinates(bounds, CRS.from_user_input(crs))
    if check is None:
        return True
    minx, miny, maxx, maxy = bounds
    found.add(
        "suspect_axis_order",
        f"parcels: coordinates ({minx:.6g}, {miny:.6g}) .. ({maxx:.6g}, {maxy:.6g}) cannot be "
        f"right for {_crs_name(crs)}: {check.reason}. {check.fix} Skipped: {_AREA_CHECKS}",
        message_zh=f"地块：坐标 ({minx:.6g}, {miny:.6g}) .. ({maxx:.6g}, {maxy:.6g}) 不可能属于 "
        f"{_crs_name(crs)}：{getattr(check, 'reason_zh', None) or check.reason}。"
        f"{getattr(check, 'fix_zh', None) or check.fix} 已跳过：{_AREA_CHECKS_ZH}",
        bounds=list(bounds),
        crs=_crs_name(crs),
        reason=check.reason,
        fix=check.fix,
    )
    return False


def _report_invalid(
    geoms: np.ndarray,
    working: np.ndarray,
    invalid: np.ndarray,
    area_mu: np.ndarray,
    crs: CRS | None,
    add: _Add,
    where: Callable[[int], str],
) -> None:
    positions = np.flatnonzero(invalid)
    if not len(positions):
        return
    raw = geoms[positions]
    reasons = shapely.is_valid_reason(raw)
    if crs is None:
        for pos, reason in zip(positions, reasons, strict=True):
            add(
                "invalid_geometry",
                pos,
                f"{where(pos)}: its geometry is invalid ({reason}); its area cannot be measured "
                f"until the layer's CRS problem is fixed; then redraw the boundary",
                f"{where(pos, 'zh')}：几何图形无效（{_reason_zh(reason)}）；图层的坐标系问题解决"
                f"之前无法量算它的面积；解决后请重新绘制边界",
                reason=reason,
            )
        return
    repaired = shapely.make_valid(raw)
    after = _mu(repaired, crs)
    buffered = _mu(shapely.buffer(raw, 0), crs)
    as_written = _mu(raw, crs)
    for k, (pos, reason) in enumerate(zip(positions, reasons, strict=True)):
        before = float(area_mu[pos]) if np.isfinite(area_mu[pos]) else 0.0
        change = (after[k] - before) / before if before > 0 else (0.0 if after[k] == 0 else 1.0)
        figures = (
            f"as drawn (lobes summed, overlapping parts counted once) it measures "
            f"{before:.2f} mu; make_valid gives {after[k]:.2f} mu ({100 * change:+.2f}%)"
        )
        figures_zh = (
            f"按原样（各瓣相加，相互重叠的部分只计一次）量得 {before:.2f} 亩；make_valid 修复后为 "
            f"{after[k]:.2f} 亩（{100 * change:+.2f}%）"
        )
        if abs(change) > _REPAIR_TOLERANCE:
            advice = (
                f"; buffer(0) gives {buffered[k]:.2f} mu. The repair changes the area by more "
                f"than 0.1%: do not repair automatically; redraw the boundary from the survey"
            )
            advice_zh = (
                f"；buffer(0) 得 {buffered[k]:.2f} 亩。修复使面积变化超过 0.1%：不要自动修复，"
                f"请按勘测成果重新绘制边界"
            )
        else:
            advice = "; repair it with shapely.make_valid (the area is kept) or redraw it"
            advice_zh = "；可用 shapely.make_valid 修复（面积不变），或重新绘制"
        add(
            "invalid_geometry",
            pos,
            f"{where(pos)}: its geometry is invalid ({reason}): {figures}{advice}",
            f"{where(pos, 'zh')}：几何图形无效（{_reason_zh(reason)}）：{figures_zh}{advice_zh}",
            reason=reason,
            area_before_mu=before,
            area_after_repair_mu=float(after[k]),
            area_after_buffer0_mu=float(buffered[k]),
            area_as_written_mu=float(as_written[k]),
            change_pct=100 * float(change),
        )


def _report_slivers(
    working: np.ndarray,
    sound: np.ndarray,
    area_mu: np.ndarray,
    crs: CRS,
    land_use: np.ndarray | None,
    sliver_mu: float,
    add: _Add,
    where: Callable[[int], str],
) -> None:
    positions = np.flatnonzero(sound)
    if not len(positions):
        return
    planar = working[positions]
    if CRS.from_user_input(crs).is_geographic:
        lon = float(np.mean(shapely.total_bounds(planar)[[0, 2]]))
        # Thinness 4πA/P² in GK only where it may be low: a metre of the ellipsoid is at
        # most 1/110,574 degree, so 4πA/(112,300 · P_deg)² is below the thinness.
        with np.errstate(divide="ignore", invalid="ignore"):
            metres = 112_300.0 * shapely.length(planar)
            floor = 4 * math.pi * area_mu[positions] * SQM_PER_MU / metres**2
        maybe = ~(floor >= _THINNESS_MIN / 0.9) | (area_mu[positions] < sliver_mu)
        positions, planar = positions[maybe], planar[maybe]
        if not len(positions):
            return
        planar = np.asarray(
            gpd.GeoSeries(planar, crs=crs).to_crs(local_gk_crs(lon)).array, dtype=object
        )
    a_planar = shapely.area(planar)
    perimeter = shapely.length(planar)
    with np.errstate(divide="ignore", invalid="ignore"):
        thinness = np.where(perimeter > 0, 4 * math.pi * a_planar / perimeter**2, 0.0)
        # Width of the rectangle with the same area and perimeter (exact for a strip),
        # scaled from planar to ellipsoidal metres.
        half = perimeter / 2
        width = (half - np.sqrt(np.maximum(half**2 - 4 * a_planar, 0.0))) / 2
        width_m = width * np.sqrt(area_mu[positions] * SQM_PER_MU / a_planar)
    road = (
        np.asarray([v == "road" for v in land_use[positions]])
        if land_use is not None
        else np.zeros(len(positions), bool)
    )
    small = area_mu[positions] < sliver_mu
    thin = (thinness < _THINNESS_MIN) & ~road
    for k in np.flatnonzero(small | thin):
        pos = positions[k]
        mu = float(area_mu[pos])
        reasons, reasons_zh = [], []
        if small[k]:
            reasons.append(f"measures {mu:.3f} mu ({mu * SQM_PER_MU:.1f} m²), below {sliver_mu} mu")
            reasons_zh.append(f"面积 {mu:.3f} 亩（{mu * SQM_PER_MU:.1f} m²），小于 {sliver_mu} 亩")
        if thin[k]:
            reasons.append(
                f"is a strip about {width_m[k]:.1f} m wide (thinness 4πA/P² = "
                f"{thinness[k]:.3f}, below {_THINNESS_MIN})"
            )
            reasons_zh.append(
                f"是一条宽约 {width_m[k]:.1f} m 的细长条（细长度 4πA/P² = {thinness[k]:.3f}，"
                f"低于 {_THINNESS_MIN}）"
            )
        add(
            "sliver",
            pos,
            f"{where(pos)}: {' and '.join(reasons)}: probably a digitising leftover; merge it "
            f"into its neighbour or delete it (a road or corridor parcel can stay: set its "
            f"land_use to road)",
            f"{where(pos, 'zh')}：{'，且'.join(reasons_zh)}：多半是数字化时留下的碎片；请并入"
            f"相邻地块或删除（道路、廊道地块可以保留：把它的 land_use 设为 road）",
            area_mu=mu,
            thinness=float(thinness[k]),
            width_m=float(width_m[k]),
        )


def _report_mismatch(
    sound: np.ndarray,
    area_mu: np.ndarray,
    declared: np.ndarray,
    tolerance: float,
    add: _Add,
    where: Callable[[int], str],
) -> None:
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = (declared - area_mu) / area_mu
    flagged = sound & np.isfinite(diff) & (area_mu > 0) & (np.abs(diff) > tolerance)
    for pos in np.flatnonzero(flagged):
        d, m = float(declared[pos]), float(area_mu[pos])
        add(
            "area_mismatch",
            pos,
            f"{where(pos)}: declared {d:.2f} mu but measures {m:.2f} mu on the ellipsoid "
            f"({100 * diff[pos]:+.2f}%, tolerance {100 * tolerance:g}%); the measured area is "
            f"used: check the boundary against the survey, or correct declared_area_mu",
            f"{where(pos, 'zh')}：申报面积 {d:.2f} 亩，椭球面实测 {m:.2f} 亩"
            f"（{100 * diff[pos]:+.2f}%，容差 {100 * tolerance:g}%）；计算采用实测面积："
            f"请对照勘测成果核对边界，或更正 "
            f"declared_area_mu",
            declared_mu=d,
            measured_mu=m,
            difference_mu=d - m,
            difference_pct=100 * float(diff[pos]),
        )


def _report_overlaps(
    working: np.ndarray,
    index: np.ndarray,
    tree: shapely.STRtree,
    edges: Edges,
    crs: CRS,
    ids: list[str | None],
    found: _Found,
) -> None:
    geoms = working[index]
    a, b = tree.query(geoms)  # envelopes that meet
    keep = a < b
    a, b = a[keep], b[keep]
    # Neighbours that share an edge cleanly, neither owning an edge that is not shared
    # cleanly, only touch: the exact tests are left for the others.
    touching = np.isin(a * len(index) + b, edges.clean_pairs)
    keep = ~touching | edges.suspect[a] | edges.suspect[b]
    a, b = a[keep], b[keep]
    meet = _meet(geoms, a, b)
    a, b = a[meet], b[meet]
    inner = shapely.relate_pattern(geoms[a], geoms[b], "T********")
    a, b = a[inner], b[inner]
    if not len(a):
        return
    overlap_mu = _mu(shapely.intersection(geoms[a], geoms[b]), crs)
    for i, j, mu in zip(index[a], index[b], overlap_mu, strict=True):
        sqm = float(mu) * SQM_PER_MU
        if not sqm >= _MIN_SQM:
            continue
        row_i, row_j = found.row("parcels", i), found.row("parcels", j)
        found.add(
            "overlap",
            f"{_where('parcels', row_i, 'parcel_id', ids[i])} overlaps "
            f"{_where('parcels', row_j, 'parcel_id', ids[j])} by {mu:.2f} mu ({sqm:.0f} m² on "
            f"the ellipsoid): that land is counted twice; redraw the shared boundary so that "
            f"the parcels only touch",
            message_zh=f"{_where_zh('parcels', row_i, 'parcel_id', ids[i])}与"
            f"{_where_zh('parcels', row_j, 'parcel_id', ids[j])}重叠 {mu:.2f} 亩（椭球面 "
            f"{sqm:.0f} m²）：这部分土地被重复计算；请重新绘制共用边界，使两块地只相接、不重叠",
            row=row_i,
            parcel_id=ids[i],
            tiebreak=(row_j,),
            other_parcel_id=ids[j],
            other_row=row_j,
            overlap_mu=float(mu),
            overlap_m2=sqm,
        )


def _report_gaps(
    working: np.ndarray,
    index: np.ndarray,
    tree: shapely.STRtree,
    edges: Edges,
    crs: CRS,
    ids: list[str | None],
    gap_max_mu: float,
    found: _Found,
) -> list[set[int]]:
    """Report enclosed gaps; return the positions of each reported gap's neighbours.

    The holes of the union of the parcels, found without the union: the faces
    of the edges not shared cleanly that no parcel covers
    (:func:`~parkgis.check.coverage.uncovered_faces`).
    """
    reported: list[set[int]] = []
    if gap_max_mu <= 0:  # no hole is smaller: the check is off
        return reported
    holes_arr = uncovered_faces(edges.unbalanced, tree)
    if not len(holes_arr):
        return reported
    # Far below 1 m² in the layer's units (degrees: 1 m² is about 1e-10 deg²): not measured.
    floor = 1e-12 if CRS.from_user_input(crs).is_geographic else 1e-2
    holes_arr = holes_arr[shapely.area(holes_arr) >= floor]
    if not len(holes_arr):
        return reported
    hole_mu = _mu(holes_arr, crs)
    tolerance = 1e-7 if CRS.from_user_input(crs).is_geographic else 1e-3
    for hole, mu in zip(holes_arr, hole_mu, strict=True):
        sqm = float(mu) * SQM_PER_MU
        if not (sqm >= _MIN_SQM and mu < gap_max_mu):
            continue
        near = np.sort(index[tree.query(hole, predicate="dwithin", distance=tolerance)])
        reported.append(set(near.tolist()))
        rows = [found.row("parcels", p) for p in near]
        names = [ids[p] for p in near]
        label = ", ".join(
            str(x) if x is not None else f"row {r}" for x, r in zip(names, rows, strict=True)
        )
        label_zh = "、".join(
            str(x) if x is not None else f"第 {r} 行" for x, r in zip(names, rows, strict=True)
        )
        point = shapely.point_on_surface(hole)
        found.add(
            "gap",
            f"parcels: a gap of {mu:.2f} mu ({sqm:.0f} m²) enclosed by parcels {label} "
            f"(rows {', '.join(map(str, rows))}) near ({point.x:.10g}, {point.y:.10g}): land no "
            f"parcel holds; extend a neighbour's boundary to close it or add it as a parcel "
            f"(a hole left on purpose, e.g. a house not acquired, can stay)",
            message_zh=f"地块 {label_zh}（第 {'、'.join(map(str, rows))} 行）之间围出一处 "
            f"{mu:.2f} 亩（{sqm:.0f} m²）的缝隙，位于 ({point.x:.10g}, {point.y:.10g}) 附近："
            f"这块地不属于任何地块；请延伸相邻地块的边界把它补上，或把它作为一个地块添加"
            f"（有意留出的空洞，如未征收的房屋，可以保留）",
            tiebreak=(*rows, round(sqm)),
            gap_mu=float(mu),
            gap_m2=sqm,
            neighbour_parcel_ids=names,
            neighbour_rows=rows,
            location=[point.x, point.y],
        )
    return reported


def _report_narrow_gaps(
    working: np.ndarray,
    index: np.ndarray,
    crs: CRS,
    ids: list[str | None],
    gap_width_m: float,
    found: _Found,
    *,
    enclosed: Sequence[set[int]] = (),
    suspect: np.ndarray | None = None,
) -> None:
    """Neighbours whose boundaries do not meet, with an open strip narrower than the width.

    A pair around a reported ``gap`` (both among its neighbours' positions in
    ``enclosed``) is not reported again. ``suspect`` (aligned with ``index``)
    marks the parcels owning an edge not shared cleanly
    (:attr:`~parkgis.check.coverage.Edges.suspect`): only these can border a
    narrow gap, so only they and their neighbours are checked.
    """
    if len(index) < 2:
        return
    native = working[index]
    lon = _mid_lon(native, crs)
    if suspect is not None:
        # A narrow gap runs along edges not shared cleanly: check those parcels with every
        # neighbour within the width (the coverage check of a parcel looks at these alone).
        # ... and of these only those with a neighbour within the width that they do not meet.
        width = _native_width(native, crs, gap_width_m)
        native_tree = shapely.STRtree(native)
        some = np.flatnonzero(suspect)
        i, j = native_tree.query(native[some], predicate="dwithin", distance=width)
        i = some[i]
        other = i != j
        i, j = i[other], j[other]
        core = np.zeros(len(index), bool)
        core[i[~_meet(native, i, j)]] = True
        if not core.any():
            return
        near = native_tree.query(native[core], predicate="dwithin", distance=width)[1]
        part = np.union1d(np.flatnonzero(core), near)
        index, native, suspect = index[part], native[part], core[part]
    geoms = _metric(native, crs, lon=lon)
    edges = shapely.coverage_invalid_edges(geoms, gap_width=gap_width_m)
    invalid = ~shapely.is_empty(edges)
    flagged = np.flatnonzero(invalid if suspect is None else invalid & suspect)
    if not len(flagged):
        return
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms[flagged], predicate="dwithin", distance=gap_width_m)
    a = flagged[a]
    keep = a < b
    a, b = a[keep], b[keep]
    apart = ~shapely.intersects(geoms[a], geoms[b])
    for i, j in zip(a[apart], b[apart], strict=True):
        near_i = shapely.intersection(edges[i], shapely.buffer(geoms[j], gap_width_m))
        length = float(shapely.length(near_i))
        if length < _NARROW_MIN_LENGTH_M:  # a wedge at a corner, not a strip between them
            continue
        points = shapely.points(shapely.get_coordinates(shapely.segmentize(near_i, 1.0)))
        narrowest = float(shapely.distance(geoms[i], geoms[j]))
        widest = float(np.max(shapely.distance(points, geoms[j])))
        pi, pj = index[i], index[j]
        if any(pi in rows and pj in rows for rows in enclosed):
            continue
        row_i, row_j = found.row("parcels", pi), found.row("parcels", pj)
        found.add(
            "narrow_gap",
            f"{_where('parcels', row_i, 'parcel_id', ids[pi])} and "
            f"{_where('parcels', row_j, 'parcel_id', ids[pj])} do not meet: an open strip "
            f"{narrowest:.2f}–{widest:.2f} m wide runs between them along {length:.0f} m, land "
            f"neither parcel holds; move the shared boundary so that they touch (a lane or "
            f"ditch kept on purpose can stay)",
            message_zh=f"{_where_zh('parcels', row_i, 'parcel_id', ids[pi])}与"
            f"{_where_zh('parcels', row_j, 'parcel_id', ids[pj])}没有相接：两者之间有一条宽 "
            f"{narrowest:.2f}–{widest:.2f} m、长 {length:.0f} m 的开口窄缝，这块地不属于任何一方；"
            f"请移动共用边界使两者相接（有意保留的小路或沟渠可以保留）",
            row=row_i,
            parcel_id=ids[pi],
            tiebreak=(row_j,),
            other_parcel_id=ids[pj],
            other_row=row_j,
            narrowest_m=narrowest,
            widest_m=widest,
            length_m=length,
        )


# shapely.is_valid_reason (GEOS) reasons, in Chinese; the English reason, with its point, follows.
_REASONS_ZH = {
    "Ring Self-intersection": "环自相交",
    "Self-intersection": "自相交",
    "Too few points": "顶点太少",
    "Hole lies outside shell": "内环在外环之外",
    "Nested holes": "内环相互嵌套",
    "Interior is disconnected": "内部不连通",
    "Nested shells": "外环相互嵌套",
    "Duplicate Rings": "环重复",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "环未闭合",
}


def _reason_zh(reason: str) -> str:
    """``Self-intersection[1 2]`` as ``自相交：Self-intersection[1 2]``.

    Examples
    --------
    >>> _reason_zh("Self-intersection[590050 3577050]")
    '自相交：Self-intersection[590050 3577050]'
    """
    name = reason.split("[", 1)[0].strip()
    return f"{_REASONS_ZH[name]}：{reason}" if name in _REASONS_ZH else reason


def _metric(geoms: np.ndarray, crs: CRS, *, lon: float | None = None) -> np.ndarray:
    """The geometries in metres: as they are in a projected CRS, else in the local GK zone.

    ``lon`` chooses the zone (by default the middle of ``geoms``): give the
    whole layer's when ``geoms`` is a part of it.
    """
    if not CRS.from_user_input(crs).is_geographic:
        return geoms
    if lon is None:
        lon = _mid_lon(geoms, crs)
    return np.asarray(gpd.GeoSeries(geoms, crs=crs).to_crs(local_gk_crs(lon)).array, dtype=object)


def _meet(geoms: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether ``geoms[a]`` and ``geoms[b]`` intersect, pair by pair (``a`` prepared meanwhile)."""
    first = np.unique(a)
    fresh = first[~shapely.is_prepared(geoms[first])]
    shapely.prepare(geoms[fresh])
    try:
        return shapely.intersects(geoms[a], geoms[b])
    finally:
        shapely.destroy_prepared(geoms[fresh])


def _mid_lon(geoms: np.ndarray, crs: CRS) -> float:
    """The middle longitude of geographic ``geoms`` (NaN for projected ones)."""
    if not CRS.from_user_input(crs).is_geographic:
        return float("nan")
    return float(np.mean(shapely.total_bounds(geoms)[[0, 2]]))


def _native_width(geoms: np.ndarray, crs: CRS, width_m: float) -> float:
    """A distance in the layer's units at least ``width_m`` metres anywhere in ``geoms``.

    Degrees of longitude shrink with the cosine of the latitude; 10 % is added
    for the ellipsoid and the Gauss-Kruger scale.
    """
    if not CRS.from_user_input(crs).is_geographic:
        return width_m
    _, miny, _, maxy = shapely.total_bounds(geoms)
    cos = math.cos(math.radians(min(max(abs(miny), abs(maxy)), 89.0)))
    return 1.1 * width_m / (110_574.0 * cos)


def _mu(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    return gross_area_mu(gpd.GeoSeries(geoms, crs=crs)).to_numpy()


def _crs_name(crs: CRS) -> str:
    crs = CRS.from_user_input(crs)
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


# -- small helpers -----------------------------------------------------------


def _ids(frame: pd.DataFrame, column: str | None) -> list[str | None]:
    if column is None or column not in frame.columns:
        return [None] * len(frame)
    return ids_text(frame[column].to_numpy(dtype=object))


def _id_at(frame: pd.DataFrame, column: str, pos: int) -> str | None:
    if column not in frame.columns or not 0 <= pos < len(frame):
        return None
    return id_text(frame[column].iloc[pos])


def _plain(value: object) -> Any:
    """A JSON-ready copy: numpy scalars to Python, tuples to lists, NaN to None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
