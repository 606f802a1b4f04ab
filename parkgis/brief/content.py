"""What a land-acquisition briefing says: its figures, tables, risks and map data.

:func:`brief_content` assembles a :class:`Briefing` from a park. It computes
nothing of its own that a command already gives: the reserve figures are
:func:`parkgis.land.reserve.reserve_figures` (as ``parkgis reserve --as-of TODAY``),
the targets :func:`parkgis.land.targets.target_figures` (``parkgis targets``),
the gaps :func:`parkgis.land.gaps.gaps_table` / :func:`~parkgis.land.gaps.gap_figures`
(``parkgis gaps``), the title risks :func:`parkgis.land.enforce.title_risks` and
the areas :func:`parkgis.land.tables.area_table` / :func:`~parkgis.land.tables.area_by`
(``parkgis area --by acquisition_status``). What it adds is the selection
(a zone, some parcels, a project), the parcels' days in stage (from the
event log, else their ``status_date``, as :mod:`parkgis.land.gaps` reads it), the
changes since a date (from the event log) or an earlier state of the park,
and the acquisition cost (mu × the park's ``compensation_wan_per_mu``).

Pure: no files, no clock (``today`` is an argument), no documents. The
writers in :mod:`parkgis.brief.write` turn a :class:`Briefing` into Word,
HTML or Markdown.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from parkgis.brief.text import LANGS, t
from parkgis.errors import DataError, ParkgisError
from parkgis.land.allocation import effective_allocations, split_ids
from parkgis.land.buildable import buildable_table, constraint_corridors, metric_crs
from parkgis.land.constraints import park_rules
from parkgis.land.enforce import enforcement_check, title_risks
from parkgis.land.gaps import GAPS, gap_figures, gaps_table
from parkgis.land.reserve import reserve_figures
from parkgis.land.tables import area_by, area_table
from parkgis.land.targets import target_figures
from parkgis.measure.crs import CGCS2000
from parkgis.model.history import events_of, status_since
from parkgis.model.park import Park
from parkgis.model.schema import TABLES, field_label
from parkgis.model.values import as_date, id_text
from parkgis.model.vocab import ACQUISITION, FINDING_REASON, STAGE, TITLE, TITLE_RISK, VOCABULARIES

__all__ = [
    "PARK_FIGURES",
    "AtlasPage",
    "BriefError",
    "Briefing",
    "Change",
    "Changes",
    "CostEstimate",
    "CostLine",
    "GapRow",
    "KeyFigure",
    "MapData",
    "ParcelRow",
    "Risk",
    "Scope",
    "brief_content",
    "format_number",
]

PARK_FIGURES = (
    "available_mu",
    "pipeline_mu",
    "reserve_mu",
    "overdue_mu",
    "unscheduled_mu",
    "demand_mu",
    "shortfall_mu",
    "shortfall_after_scheduled_mu",
    "shortfall_after_reserve_mu",
    "surplus_after_reserve_mu",
)
"""The :func:`~parkgis.land.reserve.reserve_figures` keys a briefing shows, in order.

Overdue land and land without an expected date are in the pipeline and
reserve totals but are never counted as arriving: the shortfall "counting
land with a date not yet passed" is the one the quarterly timeline ends on;
the one "if all … arrived" is a capacity, not a forecast.
"""

_TO_ACQUIRE = ("unacquired", "acquiring")
_SCENARIO_FIGURES = ("available_mu", "shortfall_mu", "surplus_mu")
_RISK_ORDER = (
    "permanent_farmland",
    "eco_redline",
    "building_without_title",
    "not_approved",
    "no_title",
    "outside_park",
    "stalled",
    "funds",
    "idle",
    "overdue",
    "title_unknown",
    "title_pending",
)


class BriefError(ParkgisError, ValueError):
    """A briefing cannot be made as asked: an unknown zone, parcel, project or output."""


@dataclass(frozen=True)
class Scope:
    """The land a briefing is about.

    Attributes
    ----------
    kind
        ``park``, ``zone``, ``parcels`` or ``project``.
    value
        The zone, the project id, or the parcel ids joined with ``,``; None
        for the whole park.
    parcel_ids
        The parcels in scope, in the park's order.
    description
        The scope in words, in the briefing's language.
    slug
        A short name for file names: ``yuanba``, ``yuanba-xx山上台阶地`` …
    """

    kind: str
    value: str | None
    parcel_ids: tuple[str, ...]
    description: str
    slug: str


@dataclass(frozen=True)
class KeyFigure:
    """One key figure: its canonical key, label, value in mu and group.

    ``group`` is ``scope`` (land in scope), ``park`` (the park's reserve
    figures, as ``parkgis reserve --as-of``) or ``scenario`` (as ``parkgis
    reserve --as-of … --assume``).
    """

    key: str
    label: str
    value: float
    group: str

    @property
    def text(self) -> str:
        """The value as printed: ``1,234.57``, like ``parkgis reserve``."""
        return format_number(self.value)


@dataclass(frozen=True)
class ParcelRow:
    """A parcel in scope, as the parcel table shows it."""

    parcel_id: str
    name: str | None
    zone: str | None
    area_mu: float
    net_mu: float
    acquisition_status: str | None
    acquisition_step: str | None
    title_status: str | None
    expected_acquisition: str | None
    status_since: dt.date | None
    days_in_stage: int | None
    project_ids: tuple[str, ...]
    project_names: tuple[str, ...]
    private: tuple[tuple[str, str], ...] = ()
    """Private fields and their values; empty unless ``include_private``."""


@dataclass(frozen=True)
class Risk:
    """One risk: what it is, whom it concerns, and whether it lies in scope."""

    kind: str
    label: str
    subject: str
    detail: str
    mu: float | None
    parcel_ids: tuple[str, ...]
    in_scope: bool


@dataclass(frozen=True)
class GapRow:
    """One of the three gaps, for the parcels in scope (as ``parkgis gaps``)."""

    gap: str
    label: str
    parcels: int
    mu: float
    max_days: int | None
    parcel_ids: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """A parcel whose status (or step) changed; codes, None where unknown."""

    parcel_id: str
    name: str | None
    kind: str
    before: str | None
    after: str | None
    changed_on: dt.date | None = None


@dataclass(frozen=True)
class Changes:
    """Changes since an earlier park (``basis="park"``) or a date.

    Since a date, the changes come from the event log (``basis="log"``: each
    parcel's status and step on the date, and now); for a park without one,
    from the parcels' ``status_date`` (``basis="date"``: the earlier status
    is not known).
    """

    basis: str
    reference: str
    rows: tuple[Change, ...]
    unchecked: int = 0
    """Parcels in scope without a status date (``basis="date"`` only)."""


@dataclass(frozen=True)
class CostLine:
    """The land still to acquire in one zone, and what it would cost."""

    zone: str
    parcels: int
    mu: float
    rate_wan_per_mu: float | None
    cost_wan: float | None


@dataclass(frozen=True)
class CostEstimate:
    """Acquisition cost by zone: gross mu still to acquire × the zone's rate."""

    lines: tuple[CostLine, ...]
    total_wan: float
    missing_zones: tuple[str, ...]


@dataclass(frozen=True)
class BoundaryTable:
    """One parcel's 界址点成果表 for the appendix: point rows and its area, as text.

    ``rows`` are (point, X, Y, edge) in the zone ``crs``; ``area`` states the
    planar Gauss-Kruger area (m², 公顷, mu) and the ellipsoidal mu beside it.
    """

    parcel_id: str
    title: str
    crs: str
    rows: tuple[tuple[str, str, str, str], ...]
    area: str


@dataclass(frozen=True)
class AtlasPage:
    """One parcel's page: its id, title and attributes as (label, text)."""

    parcel_id: str
    title: str
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class MapData:
    """What the static map draws, in the local Gauss-Kruger zone (metres).

    Attributes
    ----------
    parcels
        ``parcel_id``, ``acquisition_status``, ``in_scope`` and geometry.
    corridors
        Each constraint buffered by its setback: ``kind`` and geometry.
    constraints
        The constraints as drawn: ``kind`` and geometry.
    crs
        The CRS, e.g. ``EPSG:4544``.
    north_deg
        Direction of true north, in degrees clockwise from grid north (the
        meridian convergence at the park's centre).
    """

    parcels: gpd.GeoDataFrame
    corridors: gpd.GeoDataFrame
    constraints: gpd.GeoDataFrame
    crs: str
    north_deg: float


@dataclass(frozen=True)
class Briefing:
    """Everything a briefing says, ready for a writer.

    Numbers are kept as numbers (mu, 万元, days); codes as vocabulary codes.
    ``reserve`` and ``targets`` are the dicts :func:`reserve_figures` and
    :func:`target_figures` return, unchanged.
    """

    title: str
    park_name: str
    park_title: str
    date: dt.date
    lang: str
    scope: Scope
    key_figures: tuple[KeyFigure, ...]
    status_mu: tuple[tuple[str, int, float], ...]
    reserve: dict[str, Any]
    targets: dict[str, Any]
    parcels: tuple[ParcelRow, ...]
    projects_waiting: tuple[dict[str, Any], ...]
    risks: tuple[Risk, ...]
    gaps: tuple[GapRow, ...]
    map: MapData
    scenario: dict[str, Any] | None = None
    scenario_args: str = ""
    changes: Changes | None = None
    cost: CostEstimate | None = None
    atlas: tuple[AtlasPage, ...] = ()
    boundary_points: tuple[BoundaryTable, ...] = ()
    notes: tuple[str, ...] = ()
    include_private: bool = False
    patches_checked: bool = False
    private_fields: tuple[str, ...] = field(default=())
    landuse: dict[str, Any] | None = None
    """The land-use check of the parcels in scope (:func:`parkgis.land.landuse.landuse_figures`)."""


def format_number(value: float | None, *, decimals: int = 2) -> str:
    """Format a figure as the commands print it: thousands separated, fixed decimals.

    Examples
    --------
    >>> format_number(694.6536721688028), format_number(-0.0001), format_number(None)
    ('694.65', '0.00', '—')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{value:,.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def brief_content(
    park: Park,
    *,
    today: dt.date,
    zone: str | None = None,
    parcels: Sequence[str] | str | None = None,
    project: str | None = None,
    lang: str = "zh",
    include_private: bool = False,
    since_park: Park | None = None,
    since_label: str | None = None,
    since_date: dt.date | None = None,
    patches: gpd.GeoDataFrame | None = None,
    atlas: bool = False,
    boundary_points: bool = False,
    buildable: pd.DataFrame | None = None,
    data_notes: Sequence[str] = (),
    landuse: Mapping[str, gpd.GeoDataFrame | None] | None = None,
) -> Briefing:
    """Assemble a land-acquisition briefing for a park, a zone, some parcels or a project.

    Parameters
    ----------
    park
        The park (never modified).
    today
        The briefing's date: days in stage and target pace are counted to
        it, and the quarterly timeline starts at its quarter (as ``parkgis
        reserve --as-of``).
    zone, parcels, project
        The scope, at most one: a zone, parcel ids (a list or
        ``"ID,ID"``), or a project (the parcels allocated to it). None of
        them: the whole park.
    lang
        ``zh`` (default) or ``en``.
    include_private
        Add the manifest's private fields (land owners' data); they are left
        out otherwise, everywhere.
    since_park, since_label
        An earlier state of the park: parcels whose status or step changed,
        and parcels added or removed, are listed. ``since_label`` names it
        (e.g. its folder); by default its title.
    since_date
        List the parcels whose status or step changed after this date (up
        to ``today``), from and to, as the event log records them. For a
        park without an event log, the parcels whose ``status_date`` is
        after the date (their earlier status is then not known).
    patches
        Satellite change patches (卫片图斑) for the enforcement pre-check
        (:func:`parkgis.land.enforce.enforcement_check`).
    atlas
        Add one page per parcel in scope.
    buildable
        A :func:`~parkgis.land.buildable.buildable_table` of the park, to reuse.
    data_notes
        What the park's reading repaired or left out
        (:meth:`parkgis.check.reading.Reading.note_texts`): stated first among
        the briefing's notes, so the figures never go without them.
    landuse
        The 三调 layers: ``landuse`` (DLTB), and ``farmland`` and ``redline``
        if known. The briefing gets the land-use table of the parcels in
        scope, and the parcels with land inside permanent basic farmland or
        the red line become risks.

    Returns
    -------
    Briefing

    Raises
    ------
    BriefError
        For more than one scope, an unknown zone, parcel or project, an
        unknown language, or both ``since_park`` and ``since_date``.
    DataError
        For ``since_date`` on a park with neither an event log nor status dates, for an
        unreadable status date, or a compensation rate that is not a number.

    Examples
    --------
    >>> import datetime as dt
    >>> from parkgis.sample import build_yuanba
    >>> b = brief_content(build_yuanba(), zone="xx山上台阶地", today=dt.date(2013, 6, 30))
    >>> [f.text for f in b.key_figures if f.key == "to_acquire_mu"]
    ['400.00']
    """
    if lang not in LANGS:
        raise BriefError(f"language {lang!r} is not known; use zh or en")
    if since_park is not None and since_date is not None:
        raise BriefError("give since_park or since_date, not both")
    scope = _select(park, zone=zone, parcels=parcels, project=project, lang=lang)
    table = buildable if buildable is not None else buildable_table(park)
    if not include_private:
        park = _redacted(park)
        since_park = _redacted(since_park) if since_park is not None else None
    ids = [id_text(v) for v in park.parcels["parcel_id"]]
    wanted = set(scope.parcel_ids)
    in_scope = np.array([pid in wanted for pid in ids], dtype=bool)
    reserve = reserve_figures(park, as_of=today, buildable=table)
    areas = area_table(park.parcels)
    status_mu = area_by(areas[in_scope], "acquisition_status") if in_scope.any() else None

    key_figures = _scope_figures(status_mu, areas, in_scope, reserve, scope, lang)
    key_figures += [
        KeyFigure(key, field_label(key, lang), float(reserve[key]), "park") for key in PARK_FIGURES
    ]
    scenario, scenario_args = None, ""
    to_acquire = [ids[i] for i in np.flatnonzero(in_scope) if _status(park, i) in _TO_ACQUIRE]
    if scope.kind != "park" and to_acquire:
        assume = dict.fromkeys(to_acquire, "acquired")
        scenario = reserve_figures(park, assume=assume, as_of=today, buildable=table)
        scenario_args = " ".join(f"--assume {pid}=acquired" for pid in to_acquire)
        key_figures += [
            KeyFigure(
                f"scenario_{key}",
                t(f"fig_scenario_{key.removesuffix('_mu')}", lang),
                float(scenario[key]),
                "scenario",
            )
            for key in _SCENARIO_FIGURES
        ]

    days, since = _days_in_stage(park, ids, today)
    alloc = effective_allocations(
        park, area_mu=pd.Series(table["gross_mu"].to_numpy(dtype=float), index=ids)
    )
    holders = _holders(alloc)
    project_names = _project_names(park)
    rows = tuple(
        _parcel_row(park, i, ids[i], table, days, since, holders, project_names, include_private)
        for i in np.flatnonzero(in_scope)
    )
    notes = (*data_notes, *_notes(park, scope, rows, reserve, include_private, lang))
    checked = _landuse_check(park, landuse, in_scope)
    return Briefing(
        title=_title(park, scope, lang),
        park_name=park.name,
        park_title=park.manifest.display_name,
        date=today,
        lang=lang,
        scope=scope,
        key_figures=tuple(key_figures),
        status_mu=tuple(
            (str(r.acquisition_status), int(r.count), float(r.area_mu))
            for r in (status_mu.itertuples() if status_mu is not None else [])
        ),
        reserve=reserve,
        targets=target_figures(park.targets, today=today),
        parcels=rows,
        projects_waiting=tuple(reserve["projects_waiting"]),
        risks=_landuse_risks(
            _risks(park, scope, ids, in_scope, alloc, table, today, patches, lang), checked, lang
        ),
        gaps=_gaps(park, scope, today, lang),
        map=_map_data(park, in_scope, ids),
        scenario=scenario,
        scenario_args=scenario_args,
        changes=_changes(park, scope, ids, since, since_park, since_label, since_date, today, lang),
        cost=_cost(park, areas, in_scope),
        atlas=_atlas(park, rows, lang, include_private) if atlas else (),
        boundary_points=_boundary_tables(park, in_scope, lang) if boundary_points else (),
        notes=notes,
        include_private=include_private,
        patches_checked=patches is not None,
        private_fields=tuple(park.manifest.private_fields),
        landuse=_scoped_landuse(checked, in_scope),
    )


# --------------------------------------------------------------------------- scope


def _redacted(park: Park) -> Park:
    """The park without its private fields.

    Private columns outside the schema (``owner_name`` …) are dropped and
    private text columns (a company's name) blanked. Ids, numbers, dates and
    vocabulary codes are not personal data and stay, so every figure is
    computed as the commands compute it.
    """
    private = set(park.manifest.private_fields)
    if not private:
        return park
    changes = {}
    for table in ("parcels", "projects", "allocations"):
        frame = getattr(park, table)
        hit = [c for c in frame.columns if c in private and c != "geometry"]
        if not hit:
            continue
        fields = {f.name: f.kind for f in TABLES[table].fields}
        frame = frame.drop(columns=[c for c in hit if c not in fields])
        for column in (c for c in hit if fields.get(c) == "text"):
            frame = frame.assign(**{column: pd.Series(None, index=frame.index, dtype=object)})
        changes[table] = frame
    return park.replace(**changes) if changes else park


def _select(
    park: Park,
    *,
    zone: str | None,
    parcels: Sequence[str] | str | None,
    project: str | None,
    lang: str,
) -> Scope:
    given = [name for name, v in (("zone", zone), ("parcels", parcels), ("project", project)) if v]
    if len(given) > 1:
        raise BriefError(f"give one scope (zone, parcels or project), not {' and '.join(given)}")
    frame = park.parcels
    ids = [id_text(v) for v in frame["parcel_id"]]
    name = park.name
    if zone:
        zones = frame["zone"].astype(object) if "zone" in frame.columns else None
        hit = [] if zones is None else [ids[i] for i, z in enumerate(zones) if z == zone]
        if not hit:
            known = sorted({str(z) for z in zones.dropna()}) if zones is not None else []
            msg = (
                f"zone {zone!r} is not a zone of park {name!r}; zones: "
                f"{', '.join(known) or '(none)'}"
            )
            raise BriefError(msg)
        return Scope(
            "zone",
            zone,
            tuple(hit),
            t("scope_zone", lang, value=zone, n=len(hit)),
            f"{name}-{zone}",
        )
    if parcels:
        wanted = (
            split_ids(parcels) if isinstance(parcels, str) else [str(p).strip() for p in parcels]
        )
        unknown = [p for p in wanted if p not in ids]
        if unknown:
            msg = (
                f"parcel id(s) {', '.join(unknown)} are not in park {name!r}; "
                f"its ids run {ids[0]} … {ids[-1]} ({len(ids)} parcels)"
                if ids
                else f"park {name!r} has no parcels"
            )
            raise BriefError(msg)
        chosen = tuple(pid for pid in ids if pid in set(wanted))
        value = ",".join(wanted)
        short = "_".join(wanted[:3]) + (f"+{len(wanted) - 3}" if len(wanted) > 3 else "")
        return Scope(
            "parcels",
            value,
            chosen,
            t("scope_parcels", lang, value=", ".join(wanted), n=len(chosen)),
            f"{name}-{short}",
        )
    if project:
        known = [id_text(v) for v in park.projects.get("project_id", pd.Series(dtype=object))]
        if project not in known:
            msg = (
                f"project {project!r} is not in park {name!r}; projects: "
                f"{', '.join(str(k) for k in known) or '(none)'}"
            )
            raise BriefError(msg)
        alloc = effective_allocations(park)
        held = set(alloc.loc[alloc["project_id"] == project, "parcel_id"])
        chosen = tuple(pid for pid in ids if pid in held)
        label = _project_names(park).get(project)
        value = f"{project} {label}" if label else project
        return Scope(
            "project",
            project,
            chosen,
            t("scope_project", lang, value=value, n=len(chosen)),
            f"{name}-{project}",
        )
    return Scope("park", None, tuple(ids), t("scope_park", lang, n=len(ids)), name)


def _title(park: Park, scope: Scope, lang: str) -> str:
    title = park.manifest.display_name
    if scope.kind == "park":
        return t("title", lang, park=title)
    value = scope.value if scope.kind != "parcels" else scope.value.replace(",", ", ")  # type: ignore[union-attr]
    return t("title_scope", lang, park=title, scope=value if lang == "en" else f" {value} ")


# --------------------------------------------------------------------------- figures


def _scope_figures(
    status_mu: pd.DataFrame | None,
    areas: pd.DataFrame,
    in_scope: np.ndarray,
    reserve: Mapping[str, Any],
    scope: Scope,
    lang: str,
) -> list[KeyFigure]:
    out = []
    if status_mu is not None:
        for row in status_mu.itertuples():
            code = str(row.acquisition_status)
            label = ACQUISITION.label(code, lang=lang) if code in ACQUISITION else code
            out.append(
                KeyFigure(
                    f"status_{code}_mu",
                    t("fig_status_mu", lang, status=label),
                    float(row.area_mu),
                    "scope",
                )
            )
    scoped = areas[in_scope]
    total = float(scoped["area_mu"].sum())
    acquire = float(scoped.loc[scoped["acquisition_status"].isin(_TO_ACQUIRE), "area_mu"].sum())
    wanted = set(scope.parcel_ids)
    supply = [p for p in reserve["supply_parcels"] if p["parcel_id"] in wanted]

    def net(role: str, *, overdue: bool | None = None) -> float:
        return float(
            sum(
                p["supply_mu"]
                for p in supply
                if p["role"] == role and (overdue is None or bool(p["overdue"]) == overdue)
            )
        )

    out += [
        KeyFigure("scope_total_mu", t("fig_scope_total", lang), total, "scope"),
        KeyFigure("to_acquire_mu", t("fig_to_acquire", lang), acquire, "scope"),
        KeyFigure("scope_available_mu", t("fig_scope_available", lang), net("available"), "scope"),
        KeyFigure("scope_pipeline_mu", t("fig_scope_pipeline", lang), net("pipeline"), "scope"),
        KeyFigure("scope_reserve_mu", t("fig_scope_reserve", lang), net("reserve"), "scope"),
        KeyFigure(
            "scope_overdue_mu",
            t("fig_scope_overdue", lang),
            net("pipeline", overdue=True) + net("reserve", overdue=True),
            "scope",
        ),
    ]
    return out


# --------------------------------------------------------------------------- parcels


def _days_in_stage(
    park: Park, ids: list[str | None], today: dt.date
) -> tuple[list[int | None], list[dt.date | None]]:
    """Days in the current status and step, the way :mod:`parkgis.land.gaps` counts them.

    From the event log (:func:`parkgis.model.history.status_since`), else the
    parcels' ``status_date``.
    """
    values = status_since(park, today=today).tolist()
    since = [
        as_date(v, where=f"parcels row parcel_id={pid}") for v, pid in zip(values, ids, strict=True)
    ]
    days = [(today - d).days if d is not None else None for d in since]
    return days, since


def _parcel_row(
    park: Park,
    i: int,
    pid: str | None,
    table: pd.DataFrame,
    days: list[int | None],
    since: list[dt.date | None],
    holders: dict[str, list[str]],
    names: dict[str, str],
    include_private: bool,
) -> ParcelRow:
    frame = park.parcels
    held = tuple(holders.get(str(pid), []))
    private: tuple[tuple[str, str], ...] = ()
    if include_private:
        private = tuple(
            (f, _text(frame[f].iloc[i]) or "")
            for f in park.manifest.private_fields
            if f in frame.columns
        )
    expected = _text(_column(frame, "expected_acquisition")[i])
    return ParcelRow(
        parcel_id=str(pid),
        name=_text(_column(frame, "name")[i]),
        zone=_text(_column(frame, "zone")[i]),
        area_mu=float(table["gross_mu"].iloc[i]),
        net_mu=float(table["net_mu"].iloc[i]),
        acquisition_status=_text(_column(frame, "acquisition_status")[i]),
        acquisition_step=_text(_column(frame, "acquisition_step")[i]),
        title_status=_text(_column(frame, "title_status")[i]),
        expected_acquisition=expected[:10] if expected else None,
        status_since=since[i],
        days_in_stage=days[i],
        project_ids=held,
        project_names=tuple(names.get(p, p) for p in held),
        private=private,
    )


def _holders(alloc: pd.DataFrame) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for project, parcel in zip(alloc["project_id"], alloc["parcel_id"], strict=True):
        if project not in out.setdefault(parcel, []):
            out[parcel].append(project)
    return out


def _project_names(park: Park) -> dict[str, str]:
    projects = park.projects
    ids = [id_text(v) for v in _column(projects, "project_id")]
    names = _column(projects, "name")
    return {str(i): (_text(n) or str(i)) for i, n in zip(ids, names, strict=True) if i}


# --------------------------------------------------------------------------- risks


def _risks(
    park: Park,
    scope: Scope,
    ids: list[str | None],
    in_scope: np.ndarray,
    alloc: pd.DataFrame,
    table: pd.DataFrame,
    today: dt.date,
    patches: gpd.GeoDataFrame | None,
    lang: str,
) -> tuple[Risk, ...]:
    wanted = set(scope.parcel_ids)
    gross = dict(zip(ids, table["gross_mu"].to_numpy(dtype=float), strict=True))

    def inside(parcel_ids: Sequence[str], project: str | None = None) -> bool:
        if scope.kind == "park":
            return True
        return bool(wanted.intersection(parcel_ids)) or (
            scope.kind == "project" and project is not None and project == scope.value
        )

    risks: list[Risk] = []
    for r in title_risks(park).to_dict(orient="records"):
        parcels = tuple(split_ids(r["parcel_ids"]))
        detail = t(
            "detail_title",
            lang,
            stage=_label(STAGE, r["stage"], lang),
            title=_label(TITLE, r["title_status"], lang),
            parcels=", ".join(parcels) or "—",
            mu=format_number(r["held_mu"]),
        )
        risks.append(
            Risk(
                r["risk"],
                TITLE_RISK.label(r["risk"], lang=lang),
                _subject(r["name"], r["project_id"]),
                detail,
                float(r["held_mu"]),
                parcels,
                inside(parcels, r["project_id"]),
            )
        )
    if patches is not None:
        findings = enforcement_check(patches, park)
        for r in pd.DataFrame(findings.drop(columns=findings.geometry.name)).to_dict("records"):
            parcel = _text(r["parcel_id"])
            parcels = (parcel,) if parcel else ()
            subject = _subject(
                _text(r["project"]) or _text(r["parcel_name"]), parcel or r["patch_id"]
            )
            detail = t(
                "detail_patch",
                lang,
                patch=r["patch_id"],
                parcel=parcel or "—",
                mu=format_number(r["overlap_mu"]),
            )
            here = inside(parcels) if parcels else scope.kind == "park"
            risks.append(
                Risk(
                    r["reason"],
                    t("risk_patch", lang, reason=FINDING_REASON.label(r["reason"], lang=lang)),
                    subject,
                    detail,
                    float(r["overlap_mu"]),
                    parcels,
                    here,
                )
            )
    projects = park.projects
    for _, p in projects.iterrows():
        pid = id_text(p.get("project_id"))
        stage, funding = p.get("stage"), p.get("funding_status")
        if stage == "stalled":
            kind = "stalled"
        elif funding in ("missing", "partial"):
            kind = "funds"
        else:
            continue
        parcels = tuple(alloc.loc[alloc["project_id"] == pid, "parcel_id"])
        detail = t(
            "detail_project",
            lang,
            stage=_label(STAGE, stage, lang),
            funding=_label(VOCABULARIES["funding_status"], funding, lang),
        )
        notes = _text(p.get("notes"))
        risks.append(
            Risk(
                kind,
                t(f"risk_{kind}", lang),
                _subject(_text(p.get("name")), pid),
                f"{detail}; {notes}" if notes else detail,
                float(alloc.loc[alloc["project_id"] == pid, "mu"].sum()) or None,
                parcels,
                inside(parcels, pid),
            )
        )
    for r in gap_figures(park, today=today)["idle_alerts"]:
        parcels = (str(r["parcel_id"]),)
        detail = t("detail_idle", lang, days=r["days_in_stage"], mu=format_number(r["area_mu"]))
        risks.append(
            Risk(
                "idle",
                t("risk_idle", lang),
                _subject(r["name"], r["parcel_id"]),
                detail,
                float(r["area_mu"]),
                parcels,
                inside(parcels),
            )
        )
    expected = _column(park.parcels, "expected_acquisition")
    names = _column(park.parcels, "name")
    for i, pid in enumerate(ids):
        status = _status(park, i)
        day = as_date(expected[i], where=f"parcels row parcel_id={pid}")
        if status in _TO_ACQUIRE and day is not None and day < today:
            detail = t(
                "detail_overdue",
                lang,
                expected=day.isoformat(),
                status=_label(ACQUISITION, status, lang),
                mu=format_number(gross[pid]),
            )
            risks.append(
                Risk(
                    "overdue",
                    t("risk_overdue", lang),
                    _subject(_text(names[i]), pid),
                    detail,
                    gross[pid],
                    (str(pid),),
                    bool(in_scope[i]),
                )
            )
    order = {kind: k for k, kind in enumerate(_RISK_ORDER)}
    return tuple(sorted(risks, key=lambda r: (not r.in_scope, order.get(r.kind, len(order)))))


def _landuse_check(
    park: Park, layers: Mapping[str, gpd.GeoDataFrame | None] | None, in_scope: np.ndarray
) -> dict[str, Any] | None:
    """``parkgis landuse`` on the whole park, each parcel marked in scope or not."""
    if layers is None or layers.get("landuse") is None:
        return None
    from parkgis.land.landuse import landuse_figures

    figures = landuse_figures(
        park.parcels, layers["landuse"], farmland=layers.get("farmland"),
        redline=layers.get("redline"),
    )  # fmt: skip
    figures["in_scope"] = in_scope.tolist()
    return figures


def _scoped_landuse(figures: dict[str, Any] | None, in_scope: np.ndarray) -> dict[str, Any] | None:
    """The land-use figures of the parcels in scope, with their totals."""
    if figures is None:
        return None
    rows = [r for r, here in zip(figures["parcels"], in_scope.tolist(), strict=True) if here]
    columns = [c for c in (rows[0] if rows else {}) if c.endswith("_mu")]
    totals = {c: float(sum(r[c] for r in rows)) for c in columns}
    keep = ("by_dlbm", "farmland_given", "redline_given", "problems")
    return {"parcels": rows, "totals": totals, **{k: figures[k] for k in keep}}


def _landuse_risks(
    risks: tuple[Risk, ...], figures: dict[str, Any] | None, lang: str
) -> tuple[Risk, ...]:
    """The parcels with land inside permanent basic farmland or the red line, as risks."""
    if figures is None:
        return risks
    from parkgis.model.vocab import VOCABULARIES

    kinds = VOCABULARIES["landuse_risk"]
    found = list(risks)
    zh = lang == "zh"
    for row, here in zip(figures["parcels"], figures["in_scope"], strict=True):
        for code, column in (("permanent_farmland", "farmland_mu"), ("eco_redline", "redline_mu")):
            mu = float(row[column])
            if mu <= 0:
                continue
            if code == "permanent_farmland":
                detail = (
                    f"{format_number(mu)} 亩位于永久基本农田内（三调），农用地转用须报国务院批准"
                    if zh
                    else f"{format_number(mu)} mu inside permanent basic farmland (三调); its "
                    "conversion needs State Council approval"
                )
            else:
                detail = (
                    f"{format_number(mu)} 亩位于生态保护红线内"
                    if zh
                    else f"{format_number(mu)} mu inside the ecological red line"
                )
            pid = str(row["parcel_id"])
            label, subject = kinds.label(code, lang=lang), _subject(_text(row.get("name")), pid)
            found.append(Risk(code, label, subject, detail, mu, (pid,), bool(here)))
    order = {kind: k for k, kind in enumerate(_RISK_ORDER)}
    return tuple(sorted(found, key=lambda r: (not r.in_scope, order.get(r.kind, len(order)))))


def _gaps(park: Park, scope: Scope, today: dt.date, lang: str) -> tuple[GapRow, ...]:
    pick = 0 if lang == "zh" else 1
    if scope.kind == "park":
        return tuple(
            GapRow(
                g["gap"],
                GAPS[g["gap"]][pick],
                int(g["parcels"]),
                float(g["mu"]),
                g["max_days"],
                tuple(g["parcel_ids"]),
            )
            for g in gap_figures(park, today=today)["gaps"]
        )
    table = gaps_table(park, today=today)
    table = table[table["parcel_id"].isin(set(scope.parcel_ids))]
    out = []
    for code, names in GAPS.items():
        rows = table[table["gap"] == code]
        days = rows["days_in_stage"].dropna()
        out.append(
            GapRow(
                code,
                names[pick],
                len(rows),
                float(rows["area_mu"].sum()),
                int(days.max()) if len(days) else None,
                tuple(rows["parcel_id"]),
            )
        )
    return tuple(out)


# --------------------------------------------------------------------------- changes


def _changes(
    park: Park,
    scope: Scope,
    ids: list[str | None],
    since: list[dt.date | None],
    since_park: Park | None,
    since_label: str | None,
    since_date: dt.date | None,
    today: dt.date,
    lang: str,
) -> Changes | None:
    wanted = set(scope.parcel_ids)
    frame = park.parcels
    status, step, names = (
        _column(frame, c) for c in ("acquisition_status", "acquisition_step", "name")
    )
    if since_date is not None:
        logged = _logged_changes(park, ids, names, wanted, since_date, today)
        if logged is not None:
            return logged
        if not any(d is not None for d in since):
            msg = (
                f"--since {since_date.isoformat()}: park {park.name!r} has no status change in "
                f"its event log and no status dates (status_date), so changes since a date "
                f"cannot be read. Record changes with 'parkgis status set' (they go to the event "
                f"log), or compare with an earlier copy of the park: --since OTHER_PARK"
            )
            raise DataError(msg)
        rows, unchecked = [], 0
        for i, pid in enumerate(ids):
            if pid not in wanted:
                continue
            if since[i] is None:
                unchecked += 1
            elif since[i] > since_date:
                rows.append(
                    Change(str(pid), _text(names[i]), "status", None, _text(status[i]), since[i])
                )
        return Changes("date", since_date.isoformat(), tuple(rows), unchecked)
    if since_park is None:
        return None
    old = since_park.parcels
    old_ids = [id_text(v) for v in old["parcel_id"]]
    old_status, old_step, old_zone = (
        _column(old, c) for c in ("acquisition_status", "acquisition_step", "zone")
    )
    old_at = {pid: k for k, pid in enumerate(old_ids)}
    rows = []
    for i, pid in enumerate(ids):
        if pid not in wanted:
            continue
        k = old_at.get(pid)
        name = _text(names[i])
        if k is None:
            rows.append(Change(str(pid), name, "added", None, _text(status[i])))
        elif _text(old_status[k]) != _text(status[i]):
            rows.append(Change(str(pid), name, "status", _text(old_status[k]), _text(status[i])))
        elif _text(old_step[k]) != _text(step[i]):
            rows.append(Change(str(pid), name, "step", _text(old_step[k]), _text(step[i])))
    old_names = _column(old, "name")
    for k, pid in enumerate(old_ids):
        if pid in set(ids):
            continue
        here = (
            scope.kind == "park"
            or (scope.kind == "zone" and old_zone[k] == scope.value)
            or (scope.kind == "parcels" and pid in set(split_ids(scope.value)))
        )
        if here:
            rows.append(
                Change(str(pid), _text(old_names[k]), "removed", _text(old_status[k]), None)
            )
    reference = since_label or since_park.manifest.display_name
    return Changes("park", reference, tuple(rows))


def _logged_changes(
    park: Park,
    ids: list[str | None],
    names: np.ndarray,
    wanted: set[str],
    since_date: dt.date,
    today: dt.date,
) -> Changes | None:
    """Status and step changes after ``since_date`` from the event log; None without one."""
    fields = {"acquisition_status": "status", "acquisition_step": "step"}
    log = [e for e in events_of(park.events) if e.entity == "parcel" and e.field in fields]
    if not log:
        return None
    spans: dict[tuple[str, str], list[Any]] = {}
    for e in sorted(log, key=lambda e: (e.date, e.seq or 0)):
        if since_date < e.date <= today:
            span = spans.setdefault((e.entity_id, e.field), [e.from_, e.to, e.date])
            span[1:] = [e.to, e.date]
    rows = []
    for i, pid in enumerate(ids):
        if pid not in wanted:
            continue
        for name, kind in fields.items():
            span = spans.get((str(pid), name))
            if span is not None and span[0] != span[1]:
                rows.append(Change(str(pid), _text(names[i]), kind, span[0], span[1], span[2]))
    return Changes("log", since_date.isoformat(), tuple(rows))


# --------------------------------------------------------------------------- cost


def _cost(park: Park, areas: pd.DataFrame, in_scope: np.ndarray) -> CostEstimate | None:
    setting = park.manifest.settings.get("compensation_wan_per_mu")
    if setting is None:
        return None
    rates: dict[str, float] | float
    where = f"park.toml of park {park.name!r}: compensation_wan_per_mu"
    if isinstance(setting, Mapping):
        rates = {str(z): _rate(v, f"{where}.{z}") for z, v in setting.items()}
    else:
        rates = _rate(setting, where)
    scoped = areas[in_scope]
    todo = scoped[scoped["acquisition_status"].isin(_TO_ACQUIRE)]
    zones = (
        todo["zone"].astype(object).where(todo["zone"].notna(), "(blank)")
        if "zone" in todo.columns
        else pd.Series("(blank)", index=todo.index, dtype=object)
    )
    lines, missing = [], []
    for zone in dict.fromkeys(zones.tolist()):
        rows = todo[(zones == zone).to_numpy()]
        mu = float(rows["area_mu"].sum())
        rate = rates.get(str(zone)) if isinstance(rates, dict) else rates
        if rate is None:
            missing.append(str(zone))
        lines.append(CostLine(str(zone), len(rows), mu, rate, None if rate is None else mu * rate))
    total = float(sum(line.cost_wan for line in lines if line.cost_wan is not None))
    return CostEstimate(tuple(lines), total, tuple(missing))


def _rate(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        msg = f"{where} = {value!r} is not a rate; write a number of 万元 per mu (e.g. 4.5) ≥ 0"
        raise DataError(msg)
    return float(value)


# --------------------------------------------------------------------------- atlas, notes


def _atlas(
    park: Park, rows: tuple[ParcelRow, ...], lang: str, include_private: bool
) -> tuple[AtlasPage, ...]:
    frame = park.parcels
    columns = park.public_columns("parcels", include_private=include_private)
    ids = [id_text(v) for v in frame["parcel_id"]]
    position = {pid: i for i, pid in enumerate(ids)}
    pages = []
    for row in rows:
        i = position[row.parcel_id]
        attributes: list[tuple[str, str]] = []
        for column in columns:
            text = _display(column, frame[column].iloc[i], lang)
            if text:
                attributes.append((field_label(column, lang), text))
        attributes += [
            (t("attr_area", lang), format_number(row.area_mu)),
            (t("attr_net", lang), format_number(row.net_mu)),
        ]
        if row.days_in_stage is not None:
            attributes.append((t("attr_days", lang), str(row.days_in_stage)))
        if row.project_ids:
            attributes.append(
                (
                    t("attr_projects", lang),
                    "; ".join(
                        f"{p} {n}" for p, n in zip(row.project_ids, row.project_names, strict=True)
                    ),
                )
            )
        title = f"{row.parcel_id} {row.name}" if row.name else row.parcel_id
        pages.append(AtlasPage(row.parcel_id, title, tuple(attributes)))
    return tuple(pages)


def _boundary_tables(park: Park, in_scope: np.ndarray, lang: str) -> tuple[BoundaryTable, ...]:
    """The 界址点成果表 of the parcels in scope, in the CGCS2000 3-degree zone of the park."""
    from parkgis.land.boundary_points import boundary_areas, boundary_crs, boundary_points

    parcels = park.parcels[in_scope]
    parcels = parcels[parcels.geometry.notna() & ~parcels.geometry.is_empty]
    if not len(parcels):
        return ()
    crs = boundary_crs(parcels)
    points = boundary_points(parcels, crs=crs)
    out = []
    for _, a in boundary_areas(parcels, crs=crs).iterrows():
        mine = points[points["parcel_id"] == a["parcel_id"]]
        rows = tuple(
            (
                p.point,
                f"{p.x_m:.3f}",
                f"{p.y_m:.3f}",
                "" if pd.isna(p.edge_m) else f"{p.edge_m:.3f}",
            )
            for p in mine.itertuples()
        )
        m2, ha, mu, e = (a["planar_area_m2"], a["planar_area_ha"], a["planar_area_mu"],
                         a["area_mu"])  # fmt: skip
        area = (
            f"平面面积（高斯投影）{m2:,.2f} 平方米 = {ha:.4f} 公顷 = {mu:.4f} 亩；"
            f"椭球面积 {e:.4f} 亩"
            if lang == "zh"
            else f"Planar Gauss-Kruger area {m2:,.2f} m² = {ha:.4f} ha = {mu:.4f} mu; "
            f"ellipsoidal {e:.4f} mu"
        )
        title = _subject(a["name"], a["parcel_id"])
        out.append(BoundaryTable(str(a["parcel_id"]), title, f"EPSG:{crs.to_epsg()}", rows, area))
    return tuple(out)


def _notes(
    park: Park,
    scope: Scope,
    rows: tuple[ParcelRow, ...],
    reserve: Mapping[str, Any],
    include_private: bool,
    lang: str,
) -> tuple[str, ...]:
    notes = []
    undated = sum(1 for r in rows if r.status_since is None)
    if undated:
        notes.append(t("note_days", lang, n=undated))
    if scope.kind == "project" and not rows:
        need = [p["need_mu"] for p in reserve["projects_waiting"] if p["project_id"] == scope.value]
        notes.append(
            t(
                "note_project_no_land",
                lang,
                project=scope.value,
                mu=format_number(need[0] if need else 0.0),
            )
        )
    geometry = park.manifest.settings.get("geometry")
    if isinstance(geometry, str) and geometry.strip():
        notes.append(t("note_geometry", lang, text=geometry.strip()))
    if include_private and park.manifest.private_fields:
        notes.append(t("note_private", lang))
    return tuple(notes)


# --------------------------------------------------------------------------- map


def _map_data(park: Park, in_scope: np.ndarray, ids: list[str | None]) -> MapData:
    parcels = park.parcels
    crs = metric_crs(parcels)
    local = gpd.GeoDataFrame(
        {
            "parcel_id": [str(i) for i in ids],
            "acquisition_status": _column(parcels, "acquisition_status"),
            "in_scope": in_scope,
        },
        geometry=parcels.geometry.to_crs(crs).reset_index(drop=True),
        crs=crs,
    )
    constraints = park.constraints
    kinds = _column(constraints, "kind")
    if len(constraints):
        corridors = constraint_corridors(constraints, park_rules(park), crs=crs)
        drawn = constraints.geometry.to_crs(crs)
    else:
        corridors = drawn = gpd.GeoSeries([], crs=crs)
    corridor_frame = gpd.GeoDataFrame(
        {"kind": kinds}, geometry=corridors.reset_index(drop=True), crs=crs
    )
    constraint_frame = gpd.GeoDataFrame(
        {"kind": kinds}, geometry=drawn.reset_index(drop=True), crs=crs
    )
    centre = shapely.box(*parcels.to_crs(CGCS2000).total_bounds).centroid
    to_local = Transformer.from_crs(CGCS2000, crs, always_xy=True)
    x0, y0 = to_local.transform(centre.x, centre.y)
    x1, y1 = to_local.transform(centre.x, centre.y + 0.01)
    north = math.degrees(math.atan2(x1 - x0, y1 - y0))
    return MapData(local, corridor_frame, constraint_frame, f"EPSG:{crs.to_epsg()}", north)


# --------------------------------------------------------------------------- helpers


def _status(park: Park, i: int) -> object:
    return park.parcels["acquisition_status"].iloc[i]


def _label(vocab: Any, code: object, lang: str) -> str:
    if isinstance(code, str) and code in vocab:
        return str(vocab.label(code, lang=lang))
    return _text(code) or t("unknown", lang)


def _display(column: str, value: object, lang: str) -> str | None:
    text = _text(value)
    if text is None:
        return None
    vocab = VOCABULARIES.get(column)
    if vocab is not None and text in vocab:
        return str(vocab.label(text, lang=lang))
    if isinstance(value, (float, np.floating)):
        return format_number(float(value))
    return text


def _subject(name: object, pid: object) -> str:
    name_text, pid_text = _text(name), _text(pid)
    if name_text and pid_text:
        return f"{name_text} ({pid_text})"
    return name_text or pid_text or "—"


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()[:10]
    text = str(value).strip()
    return text or None


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name in frame.columns:
        return frame[name].astype(object).to_numpy()
    return np.full(len(frame), None, dtype=object)
