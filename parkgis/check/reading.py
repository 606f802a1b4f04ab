"""The one reading of a park that every command goes through.

A park as read may hold problems. :func:`read_checked` checks it with exactly
the checks of ``parkgis validate`` and returns a :class:`Reading`: the
problems, and the park the figures are computed on — each parcel with the
geometry validate measured (an invalid polygon after its stated repair), the
parcels that cannot be measured left out and named. What a command does with
each kind of problem is :data:`ACTIONS`:

==========  ==================================================================================
action      what the figures do
==========  ==================================================================================
refuse      the figures would be wrong (land counted twice or not at all, a parcel or project
            that cannot be classified, a value that cannot be read): a command whose figures
            use the table refuses, listing the problems
repair      the parcel is measured after the repair validate describes (an invalid polygon:
            its rings as drawn, lobes summed, overlapping parts counted once), and every
            output states the repair beside the figure
exclude     the parcel has nothing to measure (no geometry, an empty one, a point or line,
            coordinates that are not numbers, a feature that could not be decoded): it is
            left out of every figure, and every output names it
warn        the figures are right; the doubt is stated (one line on standard error, and
            ``parkgis validate`` lists it)
==========  ==================================================================================

With ``strict`` every error refuses. A command whose figures do not use a
table is not stopped by that table's problems (``targets`` does not stop for a
parcel's overlap). Pure core: no files, printing or clock.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from parkgis.check.geometry import Shapes, parcel_shapes
from parkgis.check.problems import CODES, Problem, check_park
from parkgis.measure.area import gross_area_mu
from parkgis.model.park import Park
from parkgis.model.schema import ValueIssue
from parkgis.model.values import id_text, ids_text

__all__ = [
    "ACTIONS",
    "FIGURE_TABLES",
    "Note",
    "Reading",
    "measured_parcels",
    "read_checked",
]

_REFUSE, _REPAIR, _EXCLUDE, _WARN = "refuse", "repair", "exclude", "warn"

ACTIONS: dict[str, str] = {
    code: (_WARN if severity == "warning" else _REFUSE) for code, severity in CODES.items()
}
"""What the figures do with each problem code (see the module docstring)."""
ACTIONS.update(
    {
        "invalid_geometry": _REPAIR,
        "broken_geometry": _EXCLUDE,
        "null_geometry": _EXCLUDE,
        "empty_geometry": _EXCLUDE,
        "not_polygon": _EXCLUDE,
    }
)

FIGURE_TABLES: dict[str, frozenset[str]] = {
    # area measures parcels: only their geometry and ids count (``--by FIELD`` adds it)
    "area": frozenset({"parcels.geometry", "parcels.parcel_id"}),
    "buildable": frozenset({"parcels", "constraints"}),
    "reserve": frozenset({"parcels", "projects", "allocations", "constraints"}),
    "gaps": frozenset({"parcels", "projects", "allocations"}),
    "targets": frozenset({"targets"}),
    "enforce": frozenset({"parcels", "projects"}),
    "landuse": frozenset({"parcels.geometry", "parcels.parcel_id"}),  # not the status
    "brief": frozenset({"parcels", "projects", "allocations", "constraints", "targets"}),
    "map": frozenset(),
    "info": frozenset(),
    "status": frozenset(),
    "export": frozenset(),  # a copy of the data: its problems are noted, not figures
    "serve": frozenset(),  # each page stops as its command would (parkgis.serve.figures)
}
"""The tables each command's figures use: their problems may stop it.

An entry is a table (``parcels``: any of its problems) or one field of it
(``parcels.geometry``: problems of the geometry, or of a row as a whole).
"""

_MAX_NAMED = 8  # parcels named in one note; the rest counted


@dataclass(frozen=True)
class Note:
    """A statement that goes beside the figures: a repair, or parcels left out.

    Attributes
    ----------
    kind
        ``"repaired"`` or ``"left_out"``.
    parcel_ids
        The parcels concerned (their ids, or ``row N`` where they have none).
    en, zh
        The statement in English and in Chinese.
    """

    kind: str
    parcel_ids: tuple[str, ...]
    en: str
    zh: str

    def text(self, lang: str = "zh") -> str:
        """The statement in ``lang``."""
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Reading:
    """A park as every command reads it.

    Attributes
    ----------
    park
        The park as read (geometries as drawn, values as normalised).
    problems
        Every problem ``parkgis validate`` reports for it, in its order.
    measured
        The park the figures are computed on: its parcels are those that can
        be measured, each with the geometry validate measured.
    area_mu
        The measured area of each parcel of ``measured``, in mu, aligned with
        its rows and named by ``parcel_id``.
    rows
        The 1-based row (feature number) in ``park.parcels`` of each parcel of
        ``measured``.
    notes
        The repairs and the parcels left out, to state beside the figures.
    """

    park: Park
    problems: tuple[Problem, ...]
    measured: Park
    area_mu: pd.Series
    rows: np.ndarray
    notes: tuple[Note, ...]

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity ``error``."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The problems of severity ``warning``."""
        return [p for p in self.problems if p.severity == "warning"]

    def blocking(self, uses: Collection[str], *, strict: bool = False) -> list[Problem]:
        """The errors that stop a command whose figures use the tables ``uses``.

        Parameters
        ----------
        uses
            Table names (``parcels``, ``projects`` ...), e.g. a value of
            :data:`FIGURE_TABLES`.
        strict
            Every error stops (not only those whose action is ``refuse``),
            whatever table it is in.
        """
        if strict:
            return self.errors
        return [p for p in self.errors if _touches(p, uses) and ACTIONS[p.code] == _REFUSE]

    def note_texts(self, lang: str = "zh") -> list[str]:
        """The notes as sentences in ``lang``."""
        return [n.text(lang) for n in self.notes]

    def summary(self, lang: str = "zh") -> str | None:
        """One line: how many errors and warnings; None for a park without problems."""
        if not self.problems:
            return None
        errors, warnings = len(self.errors), len(self.warnings)
        name = self.park.manifest.display_name
        if lang == "zh":
            return f"{name}: {errors} 个错误, {warnings} 个警告"
        return f"{name}: {errors} error(s), {warnings} warning(s)"

    def parcel_notes(self) -> pd.Series:
        """The note of each measured parcel (repairs), by row of ``measured``; None if none."""
        repaired = {pid for n in self.notes if n.kind == "repaired" for pid in n.parcel_ids}
        ids = [_label(pid, row) for pid, row in zip(self._ids(), self.rows, strict=True)]
        return pd.Series(
            ["repaired" if i in repaired else None for i in ids],
            index=self.measured.parcels.index,
            dtype=object,
        )

    def _ids(self) -> list[str | None]:
        parcels = self.measured.parcels
        if "parcel_id" not in parcels.columns:
            return [None] * len(parcels)
        return ids_text(parcels["parcel_id"].to_numpy(dtype=object))


def read_checked(
    park: Park,
    *,
    value_issues: Sequence[ValueIssue] = (),
    problems: Sequence[Problem] | None = None,
    **options: Any,
) -> Reading:
    """Check a park as ``parkgis validate`` does and derive what its figures may use.

    Parameters
    ----------
    park
        The park as read.
    value_issues
        Values the reader could not understand (``park.value_issues`` are
        taken as well).
    problems
        The park's problems when they have been found already (by the dask
        engine); the parcels' geometry is then sorted here, which is cheap.
    **options
        Options of :func:`~parkgis.check.problems.check_park`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Polygon, box
    >>> from parkgis.model.park import Manifest
    >>> bowtie = Polygon([(500_000, 3_577_000), (500_100, 3_577_100),
    ...                   (500_100, 3_577_000), (500_000, 3_577_100)])
    >>> parcels = gpd.GeoDataFrame(
    ...     {"parcel_id": ["A", "B", "C"], "acquisition_status": ["acquired"] * 3},
    ...     geometry=[bowtie, box(500_200, 3_577_000, 500_300, 3_577_100), None],
    ...     crs="EPSG:4544")
    >>> reading = read_checked(Park(Manifest("demo"), parcels))
    >>> [p.code for p in reading.problems]
    ['invalid_geometry', 'null_geometry']
    >>> reading.area_mu.round(6).to_dict()
    {'A': 7.5, 'B': 15.0}
    >>> [n.kind for n in reading.notes]
    ['repaired', 'left_out']
    """
    parcels = park.parcels
    geoms = _geometry(parcels)
    if problems is None:
        checked = check_park(park, value_issues=value_issues, **options)
        problems, shapes, area = checked.problems, checked.shapes, checked.area_mu
    else:
        shapes, area = (parcel_shapes(geoms) if geoms is not None else None), None
    if shapes is None:  # no geometry column: nothing to measure (validate says so)
        keep = np.zeros(len(parcels), dtype=bool)
        working = None
    else:
        keep, working = shapes.usable, shapes.working
        if parcels.crs is None:
            keep = np.zeros(len(parcels), dtype=bool)
    measured_parcels = parcels.iloc[np.flatnonzero(keep)].copy()
    if working is not None and isinstance(measured_parcels, gpd.GeoDataFrame):
        measured_parcels = measured_parcels.set_geometry(
            gpd.GeoSeries(working[keep], index=measured_parcels.index, crs=parcels.crs)
        )
    ids = _parcel_ids(measured_parcels)
    if area is not None:
        mu = np.asarray(area, dtype=float)[keep]
    elif len(measured_parcels):
        mu = gross_area_mu(measured_parcels).to_numpy()
    else:
        mu = np.zeros(0)
    rows = np.flatnonzero(keep) + 1
    measured = park.replace(parcels=measured_parcels)
    notes = _notes(park, tuple(problems), shapes, keep)
    return Reading(
        park=park,
        problems=tuple(problems),
        measured=measured,
        area_mu=pd.Series(mu, index=ids, name="area_mu", dtype=float),
        rows=rows,
        notes=notes,
    )


def measured_parcels(reading: Reading) -> list[dict[str, Any]]:
    """Every parcel as the figures count it: row, id, area in mu (None if left out), note.

    ``note`` is ``"repaired"`` (measured after the repair of an invalid
    geometry), ``"left_out"`` (nothing to measure) or None.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from parkgis.model.park import Manifest
    >>> parcels = gpd.GeoDataFrame({"parcel_id": ["A", "B"]},
    ...     geometry=[box(500_000, 3_577_000, 500_100, 3_577_100), None], crs="EPSG:4544")
    >>> [(p["parcel_id"], p["note"]) for p in measured_parcels(
    ...     read_checked(Park(Manifest("demo"), parcels)))]
    [('A', None), ('B', 'left_out')]
    """
    parcels = reading.park.parcels
    ids = _parcel_ids(parcels)
    area = dict(zip(reading.rows.tolist(), reading.area_mu.to_numpy().tolist(), strict=True))
    repaired = {pid for n in reading.notes if n.kind == "repaired" for pid in n.parcel_ids}
    out = []
    for pos, pid in enumerate(ids):
        row = pos + 1
        mu = area.get(row)
        counted = mu is not None
        if not counted:
            note = "left_out"
        elif _label(pid, row) in repaired:
            note = "repaired"
        else:
            note = None
        out.append({"row": row, "parcel_id": pid, "area_mu": mu, "counted": counted, "note": note})
    return out


def _notes(
    park: Park, problems: tuple[Problem, ...], shapes: Shapes | None, keep: np.ndarray
) -> tuple[Note, ...]:
    notes: list[Note] = []
    for p in problems:
        if p.code != "invalid_geometry" or p.table != "parcels":
            continue
        d = p.details
        label = _label(p.parcel_id, p.row)
        before = d.get("area_before_mu")
        if before is None:
            continue
        reason = d.get("reason", "")
        notes.append(
            Note(
                "repaired",
                (label,),
                f"parcel {label}: its geometry is invalid ({reason}); it is measured as drawn "
                f"(rings as drawn, lobes summed, overlapping parts counted once): "
                f"{before:.2f} mu; redraw its boundary from the survey",
                f"地块 {label}：几何图形无效（{reason}），按绘制的边界计算（自相交的各部分分别"
                f"计入，重叠的部分只计一次）：{before:.2f} 亩；请按测量成果重绘其边界",
            )
        )
    left = np.flatnonzero(~keep)
    if len(left):
        reasons = _left_out_reasons(park, problems, shapes, left)
        labels = [_label(_id_at(park.parcels, pos), pos + 1) for pos in left]
        shown = list(zip(labels[:_MAX_NAMED], reasons, strict=False))
        named_en = ", ".join(f"{lab} ({why[0]})" for lab, why in shown)
        named_zh = "、".join(f"{lab}（{why[1]}）" for lab, why in shown)
        more = len(labels) - _MAX_NAMED
        if more > 0:
            named_en += f" and {more} more"
            named_zh += f" 等，另有 {more} 个"
        notes.append(
            Note(
                "left_out",
                tuple(labels),
                f"{len(labels)} parcel(s) left out of every figure, having nothing that can be "
                f"measured: {named_en}; draw their boundaries to count them",
                f"{len(labels)} 个地块没有可量算的图形，未计入任何数字：{named_zh}；"
                f"补绘其边界后方可计入",
            )
        )
    return tuple(notes)


def _left_out_reasons(
    park: Park, problems: tuple[Problem, ...], shapes: Shapes | None, left: np.ndarray
) -> list[tuple[str, str]]:
    if shapes is None:
        return [("no geometry column", "没有几何字段")] * len(left)
    if park.parcels.crs is None:
        return [("the layer has no CRS", "图层没有坐标系")] * len(left)
    broken = {p.row for p in problems if p.table == "parcels" and p.code == "broken_geometry"}
    out = []
    for pos in left:
        if shapes.nonfinite[pos]:
            out.append(("coordinates that are not numbers", "坐标不是有效数字"))
        elif pos + 1 in broken:
            out.append(("geometry could not be read", "图形无法读取"))
        elif shapes.missing[pos]:
            out.append(("no geometry", "没有图形"))
        elif shapes.empty[pos]:
            out.append(("empty geometry", "图形为空"))
        elif shapes.not_polygon[pos]:
            kind = shapes.drawn[pos].geom_type
            out.append((f"a {kind}, not a polygon", f"是{kind}而非面"))
        else:
            out.append(("collapses to nothing when repaired", "修复后面积为零"))
    return out


def _touches(problem: Problem, uses: Collection[str]) -> bool:
    """Whether a problem is in a table or field that ``uses`` names."""
    field = problem.details.get("field") or "geometry"
    return problem.table in uses or f"{problem.table}.{field}" in uses


def _geometry(frame: pd.DataFrame) -> np.ndarray | None:
    if not isinstance(frame, gpd.GeoDataFrame) or frame._geometry_column_name not in frame:
        return None
    return np.asarray(frame.geometry.array, dtype=object)


def _parcel_ids(parcels: pd.DataFrame) -> list[str | None]:
    if "parcel_id" not in parcels.columns:
        return [None] * len(parcels)
    return ids_text(parcels["parcel_id"].to_numpy(dtype=object))


def _id_at(parcels: pd.DataFrame, pos: int) -> str | None:
    if "parcel_id" not in parcels.columns:
        return None
    return id_text(parcels["parcel_id"].iloc[pos])


def _label(parcel_id: str | None, row: int | None) -> str:
    return parcel_id if parcel_id else f"row {row}"
