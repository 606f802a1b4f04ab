"""Each parcel's land figures in a served snapshot: computed once, kept current across edits.

A parcel page shows the parcel's gross, constrained and net buildable area
and its place in the reserve (role, supply, allocated) — the figures
``parkgis buildable`` and ``parkgis reserve`` give it (projects taken at
their stage, their ``signed_on`` not judged against a day), which depend on
the whole park (its allocations, and the land its projects hold elsewhere). They
are computed once per full reading, for every measured parcel, by the
library's functions (:func:`parkgis.land.buildable.buildable_table`,
:func:`parkgis.land.allocation.effective_allocations`,
:func:`parkgis.land.reserve.reserve_projects` and
:func:`parkgis.land.reserve.reserve_parcels`), and a page only looks them up.

An edit applied to the snapshot in memory (:mod:`parkgis.serve.state`)
changes no geometry, so the buildable table stays. What else it can change
is recomputed by the same functions on just the rows concerned, which gives
exactly what a computation over the whole park gives:

- a status (``acquisition_status``): the parcel's own row; and when the
  parcel carries allocations and moves between "not yet acquired",
  "acquired or further" and neither, the projects holding land on it
  (``held_mu``, ``need_mu``) and then the rows of the parcels on which the
  projects whose need changed hold or earmark land;
- a step or a title: nothing here;
- a project assignment (``project_id``): the allocations, projects and rows
  of the whole park again (in the editor's request: no page waits).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from parkgis.check.reading import Reading
from parkgis.errors import DataError, ParkgisError

__all__ = ["ParcelFigures", "parcel_figures"]

_EARLY = frozenset({"unacquired", "acquiring"})
_LOG = logging.getLogger("parkgis.serve")


def _held(status: object) -> int:
    """How :func:`~parkgis.land.reserve.reserve_projects` counts land of this status."""
    from parkgis.land.reserve import ACQUIRED_STATUSES

    if status in ACQUIRED_STATUSES:
        return 1
    return 2 if status in _EARLY else 0


@dataclass(frozen=True)
class ParcelFigures:
    """The buildable and reserve figures of every measured parcel of one snapshot.

    Attributes
    ----------
    buildable
        The areas of :func:`~parkgis.land.buildable.buildable_table` of the
        measured parcels (gross, constrained, net), by position (None when
        they could not be computed).
    reserve
        :func:`~parkgis.land.reserve.reserve_parcels` of the measured parcels
        as first computed, by position (None when it could not be computed).
    rows
        Rows of ``reserve`` computed again since (by position), which replace them.
    stale
        Positions whose row an edit changed, computed again when first asked
        for (:meth:`of`), on ``reading``.
    touched
        The positions whose figures differ from those of the figures this was
        made from by :meth:`after` (None: any may).
    error
        Why the figures could not be computed (a :class:`ParkgisError`), or None.
    """

    buildable: pd.DataFrame | None
    reserve: pd.DataFrame | None = None
    rows: Mapping[int, dict[str, Any]] = field(default_factory=dict)
    stale: frozenset[int] = frozenset()
    touched: frozenset[int] | None = None
    error: ParkgisError | None = None
    reading: Reading | None = None
    _alloc: pd.DataFrame | None = None
    _alloc_of_parcel: Mapping[str, np.ndarray] = field(default_factory=dict)
    _alloc_of_project: Mapping[str, np.ndarray] = field(default_factory=dict)
    _projects: pd.DataFrame | None = None
    _project_rows: Mapping[int, pd.DataFrame] = field(default_factory=dict)
    _project_at: Mapping[str, list[int]] = field(default_factory=dict)
    _waiting: frozenset[str] = frozenset()
    _at: Mapping[str, list[int]] = field(default_factory=dict)
    _made: dict[int, dict[str, Any]] = field(default_factory=dict)  # stale rows made since
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, pos: int) -> dict[str, Any] | None:
        """The figures of the measured parcel at ``pos``: the buildable and reserve columns.

        Raises
        ------
        ParkgisError
            When the parcel's reserve row cannot be computed (as ``parkgis
            reserve`` would say).
        """
        if self.buildable is None or self.reserve is None:
            return None
        out = {k: self.buildable[k].iat[pos] for k in ("gross_mu", "constrained_mu", "net_mu")}
        row = self._row(pos)
        if row is None:
            row = {k: self.reserve[k].iat[pos] for k in ("role", "supply_mu", "allocated_mu")}
        return {**out, **{k: row[k] for k in ("role", "supply_mu", "allocated_mu")}}

    def table(self) -> pd.DataFrame | None:
        """The whole reserve table as it stands now (for tests and checks)."""
        if self.reserve is None:
            return None
        out = self.reserve.copy()
        for pos in {*self.rows, *self.stale}:
            row = self._row(pos)
            assert row is not None
            for key, value in row.items():
                out.iat[pos, out.columns.get_loc(key)] = value
        return out

    def after(self, reading: Reading, changed: Mapping[int, Mapping[str, tuple[Any, Any]]]) -> Any:
        """The figures after cells of some measured parcels changed (geometry did not).

        Only what the change can alter is marked to be computed again (see
        the module docstring); the rows themselves are computed when a page
        first asks for them.

        Parameters
        ----------
        reading
            The reading with the changes.
        changed
            ``{measured position: {field: (before, after)}}``.
        """
        if self.buildable is None or self.error is not None:
            return parcel_figures(reading)
        fields = {f for cells in changed.values() for f in cells}
        if "project_id" in fields:
            return _reserve_figures(reading, self.buildable)
        moved = {
            pos
            for pos, cells in changed.items()
            if "acquisition_status" in cells
            and cells["acquisition_status"][0] != cells["acquisition_status"][1]
        }
        if not moved:
            return replace(self, touched=frozenset(), reading=reading, _made={},
                           _lock=threading.Lock(), rows={**self.rows, **self._made},
                           stale=self.stale - self._made.keys())  # fmt: skip
        try:
            return self._moved(reading, moved, changed)
        except ParkgisError:  # as a computation over the whole park would say
            return _reserve_figures(reading, self.buildable)

    # ------------------------------------------------------------------ updates

    def _row(self, pos: int) -> dict[str, Any] | None:
        """The row of ``pos`` computed since the first computation, if any."""
        row = self.rows.get(pos)
        if row is not None or pos not in self.stale:
            return row
        with self._lock:
            if pos not in self._made:
                assert self.reading is not None
                self._made.update(self._rows_again(self.reading, [pos], self._project_rows))
            return self._made[pos]

    def _moved(
        self,
        reading: Reading,
        moved: set[int],
        changed: Mapping[int, Mapping[str, tuple[Any, Any]]],
    ) -> ParcelFigures:
        from parkgis.model.values import id_text

        assert self._alloc is not None and self._projects is not None
        ids = reading.measured.parcels["parcel_id"]
        projects: set[str] = set()
        for pos in moved:
            before, after = changed[pos]["acquisition_status"]
            pid = id_text(ids.iat[pos])
            if _held(before) != _held(after) and pid in self._alloc_of_parcel:
                rows = self._alloc_of_parcel[pid]
                projects.update(self._alloc["project_id"].iloc[rows].tolist())
        project_rows = dict(self._project_rows)
        waiting = set(self._waiting)
        again = set(moved)
        if projects:
            redone = self._projects_again(reading, projects)
            project_rows.update(redone)
            for project in projects:
                now = any(
                    _waits(project_rows.get(p, self._projects.iloc[[p]]))
                    for p in self._project_at.get(project, [])
                )
                if now != (project in waiting):
                    waiting.symmetric_difference_update({project})
                    again.update(self._parcels_of_project(project))
        made = {p: row for p, row in self._made.items() if p not in again}
        rows = {p: row for p, row in {**self.rows, **made}.items() if p not in again}
        return replace(
            self, rows=rows, stale=(self.stale - made.keys()) | again, touched=frozenset(again),
            reading=reading, _project_rows=project_rows, _waiting=frozenset(waiting),
            _made={}, _lock=threading.Lock(),
        )  # fmt: skip

    def _projects_again(self, reading: Reading, projects: Iterable[str]) -> dict[int, pd.DataFrame]:
        """reserve_projects rows of ``projects``, from their allocations alone."""
        from parkgis.land.reserve import reserve_projects

        assert self._alloc is not None
        positions = sorted(p for project in projects for p in self._project_at.get(project, []))
        if not positions:
            return {}
        alloc = self._alloc.iloc[_rows_of(self._alloc_of_project, projects)]
        measured = reading.measured
        firsts = sorted({self._at[p][0] for p in set(alloc["parcel_id"].tolist()) if p in self._at})
        park = measured.replace(
            parcels=measured.parcels.iloc[firsts], projects=measured.projects.iloc[positions]
        )
        table = reserve_projects(park, allocations=alloc)
        return {p: table.iloc[[k]] for k, p in enumerate(positions)}

    def _parcels_of_project(self, project: str) -> list[int]:
        """Measured positions of the parcels on which ``project`` holds or earmarks land."""
        assert self._alloc is not None
        rows = self._alloc_of_project.get(project)
        if rows is None:
            return []
        wanted = set(self._alloc["parcel_id"].iloc[rows].tolist())
        return [pos for pid in wanted for pos in self._at.get(pid, [])]

    def _rows_again(
        self, reading: Reading, positions: Sequence[int], project_rows: Mapping[int, pd.DataFrame]
    ) -> dict[int, dict[str, Any]]:
        """reserve_parcels rows at ``positions``, from their allocations alone."""
        from parkgis.land.reserve import reserve_parcels

        assert self._alloc is not None and self._projects is not None and self.buildable is not None
        if not positions:
            return {}
        measured = reading.measured
        parcels = measured.parcels.iloc[list(positions)]
        alloc = self._alloc.iloc[_rows_of(self._alloc_of_parcel, set(_ids(parcels)))]
        named = set(alloc["project_id"].tolist())
        wanted = sorted(p for project in named for p in self._project_at.get(project, []))
        frames = [project_rows.get(p, self._projects.iloc[[p]]) for p in wanted]
        projects = pd.concat(frames, ignore_index=True) if frames else self._projects.iloc[:0]
        table = reserve_parcels(
            measured.replace(parcels=parcels),
            buildable=self.buildable.iloc[list(positions)],
            allocations=alloc,
            projects=projects,
        )
        records = table.to_dict(orient="records")
        return {pos: records[k] for k, pos in enumerate(positions)}


def parcel_figures(reading: Reading) -> ParcelFigures:
    """Compute the figures of every measured parcel of ``reading`` (see the module docstring).

    A figure that cannot be computed for the whole park (a constraint that
    cannot be buffered, a date that cannot be read, a table without a
    column the figures need) is not guessed: :attr:`ParcelFigures.error`
    says why, and pages show it beside the parcel's fields.
    """
    from parkgis.land.buildable import buildable_table
    from parkgis.land.constraints import park_rules

    measured = reading.measured
    try:
        table = buildable_table(measured, rules=park_rules(measured))
    except Exception as exc:  # told on every page, never guessed
        return ParcelFigures(buildable=None, error=_why(exc))
    areas = ["gross_mu", "constrained_mu", "net_mu"]  # geometry's: no edit in place changes them
    return _reserve_figures(reading, pd.DataFrame(table[areas]))


def _why(exc: Exception) -> ParkgisError:
    """``exc`` as an error a page can show, in Chinese and English."""
    if isinstance(exc, ParkgisError):
        return exc
    _LOG.exception("parkgis serve: the land figures of the parcels cannot be computed")
    msg = f"the land figures cannot be computed ({exc!r}); run parkgis validate and parkgis reserve"
    zh = f"无法计算地块的用地数字（{exc!r}）；请运行 parkgis validate 与 parkgis reserve 查看"
    return DataError(msg, zh=zh)


def _reserve_figures(reading: Reading, buildable: pd.DataFrame) -> ParcelFigures:
    from parkgis.land.allocation import effective_allocations
    from parkgis.land.reserve import reserve_parcels, reserve_projects

    measured = reading.measured
    try:
        gross = pd.Series(buildable["gross_mu"].to_numpy(dtype=float), index=_ids(measured.parcels))
        alloc = effective_allocations(measured, area_mu=gross)
        projects = reserve_projects(measured, buildable=buildable, allocations=alloc)
        reserve = reserve_parcels(
            measured, buildable=buildable, allocations=alloc, projects=projects
        )
    except Exception as exc:  # told on every page, never guessed
        return ParcelFigures(buildable=buildable, error=_why(exc))
    at: dict[str, list[int]] = {}
    for pos, pid in enumerate(_ids(measured.parcels)):
        if pid is not None:
            at.setdefault(pid, []).append(pos)
    project_at: dict[str, list[int]] = {}
    for pos, pid in enumerate(projects["project_id"].tolist()):
        if pid is not None:
            project_at.setdefault(str(pid), []).append(pos)
    return ParcelFigures(
        buildable=buildable,
        reserve=reserve,
        reading=reading,
        _alloc=alloc,
        _alloc_of_parcel=_groups(alloc["parcel_id"]),
        _alloc_of_project=_groups(alloc["project_id"]),
        _projects=projects,
        _project_at=project_at,
        _waiting=frozenset(str(p) for p in projects.loc[_waiting_mask(projects), "project_id"]),
        _at=at,
    )


# --------------------------------------------------------------------------- helpers


def _waiting_mask(projects: pd.DataFrame) -> Any:
    """The projects :func:`~parkgis.land.reserve.reserve_parcels` counts as waiting for land."""
    return projects["counted"] & (projects["need_mu"] > 0)


def _waits(row: pd.DataFrame) -> bool:
    return bool(_waiting_mask(row).iloc[0])


def _groups(column: pd.Series) -> dict[str, np.ndarray]:
    """Row positions of each value of ``column``, in order."""
    out: dict[str, list[int]] = {}
    for pos, value in enumerate(column.tolist()):
        out.setdefault(str(value), []).append(pos)
    return {k: np.asarray(v, dtype=np.int64) for k, v in out.items()}


def _rows_of(groups: Mapping[str, np.ndarray], keys: Iterable[str]) -> np.ndarray:
    """The positions of every row of ``keys``, in table order."""
    found = [groups[k] for k in keys if k in groups]
    if not found:
        return np.zeros(0, dtype=np.int64)
    return np.sort(np.concatenate(found))


def _ids(parcels: pd.DataFrame) -> list[str | None]:
    from parkgis.model.values import ids_text

    return ids_text(parcels["parcel_id"].to_numpy(dtype=object))
