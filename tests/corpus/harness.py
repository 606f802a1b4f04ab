"""Run every command of parkgis over one messy input and check what a planner would.

A :class:`Case` builds its input files in a folder and says what must happen:
refused (with a message matching ``refused``), or read, with the problem
``codes`` validate must report and the ``areas`` area must measure. For a case
that is read, the per-parcel areas of ``area``, ``validate`` and ``reserve``
must agree to 1e-9 mu on every parcel they all count.

No command may end in a traceback: every exit is a message and an exit status.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner

from parkgis.cli import cli

__all__ = ["COMMANDS", "Case", "Run", "check_case", "run"]

AGREE_MU = 1e-9

# Commands that read a park, with the arguments each needs beyond PARK.
# {out} is replaced by a file in the case's folder.
COMMANDS: dict[str, tuple[str, ...]] = {
    "validate": ("--format", "json"),
    "info": ("--format", "json"),
    "area": ("--format", "json"),
    "buildable": ("--format", "json"),
    "reserve": ("--format", "json"),
    "gaps": ("--format", "json", "--today", "2013-06-30"),
    "targets": ("--format", "json", "--today", "2013-06-30"),
    "enforce": ("--format", "json"),
    "map": ("-o", "{out}.html"),
    "brief": ("-o", "{out}.md", "--today", "2013-06-30"),
}


@dataclass(frozen=True)
class Run:
    """What one command did: exit status, standard output and standard error."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    traceback: str | None

    def json(self) -> object:
        return json.loads(self.stdout)


@dataclass(frozen=True)
class Case:
    """One messy input and what parkgis must do with it.

    Attributes
    ----------
    id
        A short name, used as the test id.
    build
        Writes the input into the given folder and returns the arguments that
        name it (``[path]``, ``[path, "--crs", "EPSG:4544"]`` ...).
    refused
        None when the input must be read; else a regular expression the
        refusal message (standard error) must match, e.g. the file name and
        the feature. Every command that reads the input must refuse it.
    codes
        Problem codes ``validate`` must report (others may be reported too).
    areas
        Expected measured area of parcels, ``{parcel_id: mu}``, to ``rel``.
    rel
        Relative tolerance of ``areas``.
    commands
        The commands to run (default: all of :data:`COMMANDS`).
    exit_code
        The exit status of a refusal (2: the input could not be read; 1: read
        but refused); None accepts either.
    """

    id: str
    build: Callable[[Path], Sequence[str]]
    refused: str | None = None
    codes: tuple[str, ...] = ()
    areas: Mapping[str, float] | None = None
    rel: float = 1e-6
    commands: tuple[str, ...] = tuple(COMMANDS)
    exit_code: int | None = None
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def run(args: Sequence[str]) -> Run:
    """Run ``parkgis ARGS`` in this process, as the console script would."""
    runner = CliRunner()
    result = runner.invoke(cli, list(args), catch_exceptions=True)
    tb = None
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        tb = "".join(
            traceback.format_exception(
                type(result.exception), result.exception, result.exception.__traceback__
            )
        )
    if "Traceback (most recent call last)" in result.stderr:
        tb = result.stderr
    return Run(tuple(args), result.exit_code, result.stdout, result.stderr, tb)


def check_case(case: Case, folder: Path) -> dict[str, Run]:
    """Build the case in ``folder``, run its commands, and assert what must hold.

    Returns every run, by command, for further checks.
    """
    folder.mkdir(parents=True, exist_ok=True)
    park_args = [str(a) for a in case.build(folder)]
    runs: dict[str, Run] = {}
    for command in case.commands:
        extra = case.extra.get(command, COMMANDS[command])
        extra = tuple(a.replace("{out}", str(folder / f"out-{command}")) for a in extra)
        runs[command] = run([command, *park_args, *extra])
    for command, r in runs.items():
        assert r.traceback is None, f"{case.id}: parkgis {command} gave a traceback:\n{r.traceback}"
        if r.code != 0:
            assert r.stderr.strip(), f"{case.id}: parkgis {command} exited {r.code} saying nothing"
            assert "internal error" not in r.stderr and "内部错误" not in r.stderr, (
                f"{case.id}: parkgis {command}: {r.stderr}"
            )
    if case.refused is not None:
        for command, r in runs.items():
            assert r.code != 0, f"{case.id}: parkgis {command} did not refuse:\n{r.stdout[:2000]}"
            if case.exit_code is not None:
                assert r.code == case.exit_code, f"{case.id}: parkgis {command}: {r.stderr}"
            assert re.search(case.refused, r.stderr), (
                f"{case.id}: parkgis {command} refused with {r.stderr!r}, expected /{case.refused}/"
            )
        return runs
    for command, r in runs.items():
        assert r.code in (0, 1), f"{case.id}: parkgis {command} exited {r.code}: {r.stderr}"
    if "validate" in runs:
        report = runs["validate"].json()
        codes = {p["code"] for p in report["problems"]}
        missing = set(case.codes) - codes
        assert not missing, f"{case.id}: validate did not report {missing}; it reported {codes}"
    _check_agreement(case, runs)
    return runs


def _check_agreement(case: Case, runs: Mapping[str, Run]) -> None:
    """area, validate and reserve measure each parcel they all count alike, to 1e-9 mu."""
    measured: dict[str, dict[str, float]] = {}
    if "area" in runs and runs["area"].code == 0:
        measured["area"] = {r["parcel_id"]: r["area_mu"] for r in runs["area"].json()}
    if "validate" in runs:
        parcels = runs["validate"].json().get("parcels", [])
        measured["validate"] = {
            p["parcel_id"]: p["area_mu"] for p in parcels if p.get("area_mu") is not None
        }
    if "reserve" in runs and runs["reserve"].code == 0:
        gross = runs["reserve"].json().get("supply_parcels")
        if gross:
            measured["reserve"] = {
                p["parcel_id"]: p["gross_mu"] for p in gross if p.get("gross_mu") is not None
            }
    names = list(measured)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            common = set(measured[a]) & set(measured[b])
            for pid in common:
                x, y = measured[a][pid], measured[b][pid]
                assert abs(x - y) <= AGREE_MU, (
                    f"{case.id}: parcel {pid}: {a} measures {x!r} mu, {b} {y!r} mu"
                )
    if case.areas is not None:
        assert "area" in measured, f"{case.id}: area refused: {runs['area'].stderr}"
        for pid, mu in case.areas.items():
            got = measured["area"].get(pid)
            assert got is not None, f"{case.id}: area did not measure parcel {pid}"
            assert abs(got - mu) <= case.rel * max(abs(mu), 1e-12), (
                f"{case.id}: parcel {pid} measures {got} mu, expected {mu}"
            )


# -- building inputs -----------------------------------------------------------

GK_X, GK_Y = 500_000.0, 3_577_000.0
"""A point on the central meridian (105E) of EPSG:4544 at 32.3N, near Yuanba: there the
Gauss-Kruger scale is 1, so a 100 m square measures 10,000 m² = 15 mu on the ellipsoid
to 1e-9, checkable by hand."""


def write_parcels(
    path: Path,
    geometries: Sequence[object],
    *,
    crs: str | None = "EPSG:4544",
    columns: Mapping[str, Sequence[object]] | None = None,
    **options: object,
) -> Path:
    """Write a parcel layer with pyogrio (the driver from the suffix) and return its path.

    ``columns`` default to ids P1, P2 ... and status 已征收; ``options`` go to
    :func:`pyogrio.write_dataframe` (``encoding``, ``layer`` ...).
    """
    import geopandas as gpd

    n = len(geometries)
    data = {
        "parcel_id": [f"P{i + 1}" for i in range(n)],
        "acquisition_status": ["已征收"] * n,
        **dict(columns or {}),
    }
    frame = gpd.GeoDataFrame(data, geometry=list(geometries), crs=crs)
    frame.to_file(path, engine="pyogrio", **options)
    return path
