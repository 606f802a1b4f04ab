"""Whole commands as a planner runs them: ``parkgis area``, ``validate``, ``gaps``, ``brief`` ...

Each way runs a command in a process of its own (``python -m parkgis …`` from
the repository root, so the checkout's parkgis is the one timed), from its
start to its exit: imports, reading the park, checking it, computing, writing.
The yardsticks, measured in the same run:

- ``area_cmd`` and ``validate_cmd`` beside the plain geopandas script that does
  the same (:data:`PLAIN_SCRIPTS`: read with pyogrio/Arrow, ``to_crs``,
  ``.area``, a ``groupby``; read, ``is_valid`` and a self ``sjoin`` for
  overlaps) — the ratio is script time / parkgis time;
- ``gaps``, ``targets``, ``enforce`` and ``reserve_cmd`` beside ``parkgis
  area --by zone`` on the same park (``area``): each pays for the same reading
  and checks, so the ratio says what the figures themselves cost;
- ``brief_docx`` and ``brief_html`` beside the same briefing of the
  1,000-parcel park (``at_1k``): the ratio is the 1k time / this time, so
  0.1 means ten times slower than at 1k.

Peak memory is that of the child processes (``ru_maxrss``), in the check.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["LABELS", "PLAIN_SCRIPTS", "WAYS", "check_text", "command_way", "targets"]

ROOT = Path(__file__).resolve().parents[1]

_COMMANDS: dict[str, list[str]] = {
    "area_cmd": ["area", "--by", "zone", "--format", "csv"],
    "validate_cmd": ["validate", "--format", "json"],
    "gaps": ["gaps", "--format", "json"],
    "targets": ["targets", "--format", "json"],
    "enforce": ["enforce", "--format", "json"],
    "reserve_cmd": ["reserve", "--format", "json"],
    "brief_docx": ["brief", "-o", "{out}/brief.docx"],
    "brief_html": ["brief", "-o", "{out}/brief.html"],
}

PLAIN_SCRIPTS: dict[str, str] = {
    "area_cmd": (
        "import sys, geopandas as gpd\n"
        "p = gpd.read_file(sys.argv[1] + '/park.gpkg', layer='parcels', use_arrow=True)\n"
        "mu = p.to_crs(4544).area / (10_000 / 15)\n"
        "p.assign(area_mu=mu).groupby('zone')['area_mu'].agg(['count', 'sum']).to_csv(sys.stdout)\n"
    ),
    "validate_cmd": (
        "import sys, geopandas as gpd\n"
        "p = gpd.read_file(sys.argv[1] + '/park.gpkg', layer='parcels', use_arrow=True)\n"
        "invalid = int((~p.is_valid).sum())\n"
        "pairs = gpd.sjoin(p[['geometry']], p[['geometry']], predicate='overlaps')\n"
        "print(invalid, len(pairs))\n"
    ),
}
"""The plain geopandas scripts the commands are measured against (argument: the park folder)."""

WAYS: dict[str, tuple[str, ...]] = {
    "area_cmd": ("parkgis", "geopandas_script"),
    "validate_cmd": ("parkgis", "geopandas_script"),
    "gaps": ("parkgis", "area"),
    "targets": ("parkgis", "area"),
    "enforce": ("parkgis", "area"),
    "reserve_cmd": ("parkgis", "area"),
    "brief_docx": ("parkgis", "at_1k"),
    "brief_html": ("parkgis", "at_1k"),
}
"""Each command's ways: parkgis first, then its yardstick."""

LABELS = {
    "geopandas_script": "the plain geopandas script",
    "area": "parkgis area --by zone",
    "at_1k": "itself at 1,000 parcels",
}


def command_way(
    task: str, way: str, folder: Path, small_folder: Path
) -> tuple[Callable[[bool], Any], Callable[[Any], dict[str, Any]]]:
    """The timed call (``small=True``: the warm-up, on ``small_folder``) and its check."""
    out = Path(tempfile.mkdtemp(prefix="parkgis-bench-"))

    def argv(park: Path) -> list[str]:
        if way == "geopandas_script":
            return [sys.executable, "-c", PLAIN_SCRIPTS[task], str(park)]
        words = _COMMANDS["area_cmd"] if way == "area" else _COMMANDS[task]
        return [sys.executable, "-m", "parkgis", *(w.format(out=out) for w in words), str(park)]

    def call(small: bool) -> dict[str, Any]:
        park = small_folder if small or way == "at_1k" else folder
        done = subprocess.run(argv(park), cwd=ROOT, env=_env(), capture_output=True, check=False)
        if done.returncode not in (0, 1):  # validate exits 1 when the park has errors
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            raise RuntimeError(f"{' '.join(argv(park)[1:4])}: exit {done.returncode}: {tail}")
        return {"exit": done.returncode, "stdout_bytes": len(done.stdout)}

    def check(result: dict[str, Any]) -> dict[str, Any]:
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return {**result, "child_peak_mb": round(peak)}

    return call, check


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def targets(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Whether the ratios of issue 14 hold in these records (time ratios, same run).

    - ``area_cmd`` at 100,000 parcels or more: within 1.2x of the plain script;
    - ``validate_cmd`` at 100,000 or more: at least as fast as the plain check;
    - ``gaps``, ``targets``, ``enforce``, ``reserve_cmd`` at 100,000 or more:
      within 3x of ``parkgis area`` on the same park;
    - ``brief_docx`` and ``brief_html`` at 10,000: within 12x of the 1,000-parcel
      briefing (and the Word one under 30 s).
    """
    out: dict[str, dict[str, Any]] = {}
    for r in records:
        s, n, task = r.get("seconds", {}), r["parcels"], r["task"]
        ours = s.get("parkgis")
        if task not in WAYS or ours is None or len(s) < 2:
            continue
        other = s[WAYS[task][1]]
        ratio = ours / other
        if task in ("area_cmd", "validate_cmd") and n >= 100_000:
            limit = 1.2 if task == "area_cmd" else 1.0
            key = f"{task} at {n:,}: within {limit:g}x of the plain geopandas script"
        elif task in ("gaps", "targets", "enforce", "reserve_cmd") and n >= 100_000:
            limit = 3.0
            key = f"{task} at {n:,}: within 3x of parkgis area"
        elif task in ("brief_docx", "brief_html") and n == 10_000:
            limit = 12.0
            key = f"{task} at {n:,}: within 12x of the 1,000-parcel briefing"
        else:
            continue
        holds = ratio <= limit and (task != "brief_docx" or ours < 30.0)
        out[key] = {"holds": bool(holds), "measured": f"{ratio:.2f}x ({ours:.2f} s)"}
    return out


def check_text(r: dict[str, Any]) -> str:
    """The check column of a command's row: the largest child process's peak memory, by way."""
    c = r.get("check", {})
    peaks = {w: v.get("child_peak_mb") for w, v in c.items() if isinstance(v, dict)}
    return "peak " + " / ".join(f"{p:,} MB" for p in peaks.values() if p is not None)
