"""Every command reads its park once, through the checks of ``parkgis validate``.

:func:`checked_park` loads the command's park (:func:`~parkgis.cli.common.load_park`),
checks it (:func:`parkgis.check.reading.read_checked`), says on standard error in
one line how many errors and warnings it has and the command that lists them,
and stops the command when an error makes its figures uncertain
(:data:`parkgis.check.reading.FIGURE_TABLES`, ``--strict``). The figures are
then computed on ``.park``: the parcels as validate measured them. The repairs
and the parcels left out go beside the figures (:func:`emit_notes`).
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pandas as pd

from parkgis.check.reading import FIGURE_TABLES, Reading, read_checked
from parkgis.cli.common import Context, current_lang, load_park
from parkgis.errors import SchemaError
from parkgis.io.reading_cache import default_cache
from parkgis.model.park import Park

__all__ = [
    "CheckedPark",
    "RefusedError",
    "checked_engine",
    "checked_park",
    "emit_notes",
    "validate_command_line",
]

_LISTED = 12  # problems shown in a refusal; the rest counted


class RefusedError(SchemaError):
    """The park has errors that make a command's figures uncertain."""

    def __init__(self, reading: Reading, command: str, problems: list[Any]) -> None:
        super().__init__(problems)
        name = reading.park.manifest.display_name
        listing = validate_command_line()
        shown = problems[:_LISTED]
        more = len(problems) - len(shown)
        en = [
            f"{name}: {len(problems)} error(s) make the figures of 'parkgis {command}' "
            f"uncertain, so it stops:"
        ]
        zh = [f"{name}：有 {len(problems)} 个错误使 parkgis {command} 的数字不可靠，已停止："]
        en += [f"  [{p.code}] {p.text('en')}" for p in shown]
        zh += [f"  [{p.code}] {p.text('zh')}" for p in shown]
        if more:
            en.append(f"  … and {more} more")
            zh.append(f"  … 另有 {more} 个")
        en.append(
            f"List every problem with '{listing}'; correct them in the source data, then run "
            f"the command again."
        )
        zh.append(f"用 '{listing}' 列出全部问题；在源数据中改正后再运行。")
        self.args = ("\n".join(en),)
        self.zh = "\n".join(zh)


@dataclass(frozen=True)
class CheckedPark:
    """A command's park as read, its problems, and the park its figures use."""

    reading: Reading
    decisions: tuple[str, ...] = ()

    @property
    def park(self) -> Park:
        """The park the figures are computed on (see :class:`~parkgis.check.reading.Reading`)."""
        return self.reading.measured

    @property
    def title(self) -> str:
        """The park's display name."""
        return self.reading.park.manifest.display_name


def checked_park(
    command: str,
    path: Path | str | None = None,
    *,
    problems: Any = None,
    uses: frozenset[str] = frozenset(),
    **options: Any,
) -> CheckedPark:
    """Load and check the command's park; stop when its errors make the figures uncertain.

    Parameters
    ----------
    command
        A key of :data:`~parkgis.check.reading.FIGURE_TABLES`.
    path
        The PARK argument (folder, file, store URL or None).
    problems
        Problems found already (by the dask engine), else they are found here.
    uses
        Tables or ``table.field`` the command's figures use beyond those of
        its entry in ``FIGURE_TABLES`` (``area --by zone``: ``parcels.zone``).
    **options
        Options of :func:`~parkgis.cli.common.load_park` (``projects`` ...).

    Raises
    ------
    RefusedError
        Listing the errors that stop the command.
    """
    loaded = load_park(path, **options)
    return check_loaded(
        command, loaded.park, decisions=loaded.decisions, problems=problems, uses=uses
    )


def check_loaded(
    command: str,
    park: Park,
    *,
    decisions: Any = (),
    problems: Any = None,
    uses: frozenset[str] = frozenset(),
) -> CheckedPark:
    """:func:`checked_park` for a park loaded already."""
    reading = read_checked(park, problems=problems, memo=default_cache())
    lang = current_lang()
    blocking = reading.blocking(FIGURE_TABLES[command] | uses, strict=_strict())
    if blocking:
        raise RefusedError(reading, command, blocking)
    line = reading.summary(lang)
    if line:
        listing = validate_command_line()
        tail = f" — {listing} 列出全部" if lang == "zh" else f" — '{listing}' lists them"
        click.echo(f"parkgis: {line}{tail}", err=True)
    return CheckedPark(reading, tuple(decisions))


@contextmanager
def checked_engine(
    command: str,
    path: Path | str | None = None,
    *,
    uses: frozenset[str] = frozenset(),
    **options: Any,
) -> Iterator[tuple[CheckedPark, Any]]:
    """:func:`checked_park` with the command's ``--engine``: the figures' engine of its park.

    With ``--engine dask`` the problems are found partition by partition too.
    """
    from parkgis.cli.engine import park_engine

    loaded = load_park(path, **options)
    with park_engine(loaded.park) as engine:
        problems = None
        if engine.distributed:
            problems = engine.find_problems(value_issues=loaded.park.value_issues)
        checked = check_loaded(
            command, loaded.park, decisions=loaded.decisions, problems=problems, uses=uses
        )
        yield checked, engine.on(checked.park, area_mu=checked.reading.area_mu.to_numpy())


def emit_notes(checked: CheckedPark, fmt: str, *, file: Any = None) -> None:
    """Print the repairs and the parcels left out under a text table (``注：`` lines).

    JSON and CSV carry them in their own fields (see the commands); on standard
    error they are said for every format.
    """
    lang = current_lang()
    notes = checked.reading.note_texts(lang)
    if not notes:
        return
    out = file or sys.stdout
    if fmt == "text":
        head = "注：" if lang == "zh" else "Note: "
        for note in notes:
            out.write(f"{head}{note}\n")
    else:
        for note in notes:
            click.echo(f"parkgis: {note}", err=True)


def validate_command_line() -> str:
    """The ``parkgis validate …`` command that lists the current command's problems."""
    ctx = click.get_current_context(silent=True)
    words = ["parkgis", "validate"]
    if ctx is not None:
        park = ctx.params.get("park")
        obj = ctx.find_object(Context)
        if park is not None:
            words.append(str(park))
        elif obj is not None and obj.store:
            words += ["--store", _safe(obj.store)]
        loose = obj.loose if obj is not None else {}
        for key in ("crs", "encoding", "id_field"):
            if loose.get(key):
                words += [f"--{key.replace('_', '-')}", str(loose[key])]
        for field, column in (loose.get("fields") or {}).items():
            words += ["--field", f"{field}={column}"]
        if obj is not None and obj.as_of is not None:
            words += ["--as-of", obj.as_of.isoformat()]
    return shlex.join(words)


def area_rows(checked: CheckedPark, table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The area table with a ``note`` per parcel: repaired ones, and rows for those left out.

    Parcels left out get a row with no area, so that nothing is dropped
    without a word.
    """
    reading = checked.reading
    repaired = {pid for n in reading.notes if n.kind == "repaired" for pid in n.parcel_ids}
    left = {pid for n in reading.notes if n.kind == "left_out" for pid in n.parcel_ids}
    if not repaired and not left:
        return table
    out = table.copy()
    word = "按修复后的图形量算" if lang == "zh" else "measured after repair (see notes)"
    ids = out["parcel_id"] if "parcel_id" in out.columns else pd.Series([None] * len(out))
    labels = [
        p if p else f"row {r}" for p, r in zip(ids.tolist(), reading.rows.tolist(), strict=True)
    ]
    out["note"] = [word if lab in repaired else None for lab in labels]
    if left:
        parcels = reading.park.parcels
        absent = sorted(set(range(len(parcels))) - set((reading.rows - 1).tolist()))
        gone = "未量算：没有可量算的图形" if lang == "zh" else "not measured: nothing to measure"
        extra = pd.DataFrame(
            {
                c: [parcels[c].iloc[pos] if c in parcels.columns else None for pos in absent]
                for c in out.columns
                if c not in {"area_mu", "area_m2", "planar_area_mu", "difference_pct", "note"}
            }
        )
        extra["note"] = gone
        out = pd.concat([out, extra], ignore_index=True)
    return out


def _strict() -> bool:
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_object(Context) if ctx else None
    return bool(obj.strict) if obj is not None else False


def _safe(url: str) -> str:
    from parkgis.io.postgis import safe_url

    return safe_url(url)
