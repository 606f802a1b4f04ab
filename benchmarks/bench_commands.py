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

Every command checks the park it reads; the result of the geometry checks is
remembered (:mod:`parkgis.io.reading_cache`) and taken again while the park's
geometry is unchanged. The ``parkgis`` way times a park read before — its
warm-up runs the command once on the same park into a cache folder of the job,
as a planner's first command of the day does — and ``first_read`` times the
same command with the cache off (``PARKGIS_CACHE_DIR=off``): a park never read
before, or whose geometry has just changed, every check done.

Peak memory is that of the child processes (``ru_maxrss``), in the check.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
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
    "area_cmd": ("parkgis", "geopandas_script", "first_read"),
    "validate_cmd": ("parkgis", "geopandas_script", "first_read"),
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
    "first_read": "parkgis, the park not read before (every check done)",
}


def command_way(
    task: str, way: str, folder: Path, small_folder: Path
) -> tuple[Callable[[bool], Any], Callable[[Any], dict[str, Any]]]:
    """The timed call (``small=True``: the warm-up, on ``small_folder``) and its check."""
    out = Path(tempfile.mkdtemp(prefix="parkgis-bench-"))
    remembered = "off" if way == "first_read" else str(out / "cache")

    def argv(park: Path) -> list[str]:
        if way == "geopandas_script":
            return [sys.executable, "-c", PLAIN_SCRIPTS[task], str(park)]
        words = _COMMANDS["area_cmd"] if way == "area" else _COMMANDS[task]
        return [sys.executable, "-m", "parkgis", *(w.format(out=out) for w in words), str(park)]

    def call(small: bool) -> dict[str, Any]:
        park = small_folder if way == "at_1k" else folder
        if small and way in ("geopandas_script", "first_read"):
            park = small_folder  # nothing to remember: the warm-up loads the libraries only
        env = {**_env(), "PARKGIS_CACHE_DIR": remembered}
        code, stdout, stderr, peak_kb = _run(argv(park), env)
        if code not in (0, 1):  # validate exits 1 when the park has errors
            tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            raise RuntimeError(f"{' '.join(argv(park)[1:4])}: exit {code}: {tail}")
        return {"exit": code, "stdout_bytes": len(stdout), "child_peak_mb": round(peak_kb / 1024)}

    def check(result: dict[str, Any]) -> dict[str, Any]:
        return result

    return call, check


def _run(argv: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes, int]:
    """Run a command; its exit code, output, error output and peak resident memory (KB).

    The peak is that child's own (``wait4``), not the largest of all children
    so far, so a warm-up run on a larger park does not count.
    """
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunks: dict[str, bytes] = {}

    def drain(name: str, stream: Any) -> None:
        chunks[name] = stream.read()

    readers = [
        threading.Thread(target=drain, args=("out", proc.stdout)),
        threading.Thread(target=drain, args=("err", proc.stderr)),
    ]
    for t in readers:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    for t in readers:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    proc.stderr.close()
    return proc.returncode, chunks["out"], chunks["err"], usage.ru_maxrss


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def targets(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Whether the ratios of issue 14 hold in these records (time ratios, same run).

    - ``area_cmd`` at 100,000 parcels or more: within 1.2x of the plain script,
      its peak memory within 1.5x of the script's;
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
        measured = f"{ratio:.2f}x ({ours:.2f} s)"
        if task == "area_cmd":  # and its peak memory within 1.5x of the script's
            peaks = r.get("check", {})
            mine = peaks.get("parkgis", {}).get("child_peak_mb")
            theirs = peaks.get("geopandas_script", {}).get("child_peak_mb")
            if mine and theirs:
                key += ", peak memory within 1.5x"
                holds = holds and mine <= 1.5 * theirs
                measured += f", peak {mine / theirs:.2f}x ({mine:,} MB)"
        out[key] = {"holds": bool(holds), "measured": measured}
    return out


def check_text(r: dict[str, Any]) -> str:
    """The check column of a command's row: the largest child process's peak memory, by way."""
    c = r.get("check", {})
    peaks = {w: v.get("child_peak_mb") for w, v in c.items() if isinstance(v, dict)}
    return "peak " + " / ".join(f"{p:,} MB" for p in peaks.values() if p is not None)
