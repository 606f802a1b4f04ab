"""``parkgis buildable``, ``reserve``, ``gaps``, ``targets`` and ``enforce``: the land figures.

Each command reads, calls the library, emits. ``--format`` takes text (rich
tables), json (the library's figures as they are), csv (the main table) or
xlsx (every table, one sheet each; needs ``-o FILE``). With ``-o FILE`` any
format is written to the file, atomically.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
import pandas as pd

from parkgis.cli.common import (
    current_as_of,
    current_lang,
    emit,
    engine_options,
    handle_errors,
    lang_option,
    load_park,
    loose_file_options,
    park_argument,
    to_jsonable,
)
from parkgis.cli.engine import park_engine
from parkgis.errors import DataError, InputError
from parkgis.io.loose import read_parcel_file
from parkgis.io.store import atomic_path
from parkgis.model.schema import field_label
from parkgis.model.vocab import (
    DEMAND_EXCLUSION,
    FIGURE_BASIS,
    FINDING_REASON,
    RESERVE_ROLE,
    TITLE_RISK,
)

__all__ = ["COMMANDS", "LAND_FORMATS", "buildable", "enforce", "gaps", "reserve", "targets"]

LAND_FORMATS = ("text", "json", "csv", "xlsx")
F = TypeVar("F", bound=Callable[..., Any])
_PROGRESS_FROM = 10_000  # parcels: below this buildable is quick enough without a bar

# Labels of the codes the land figures use, for text tables: the vocabularies'
# (model/vocab.toml), and yes/no for the two flags.
_CODES: dict[str, dict[Any, tuple[str, str]]] = {
    "role": {t.code: (t.zh, t.en) for t in RESERVE_ROLE},
    "basis": {t.code: (t.zh, t.en) for t in FIGURE_BASIS},
    "reason": {t.code: (t.zh, t.en) for t in (*DEMAND_EXCLUSION, *FINDING_REASON)},
    "risk": {t.code: (t.zh, t.en) for t in TITLE_RISK},
    "on_track": {True: ("是", "yes"), False: ("否", "no")},
    "idle": {True: ("是", "yes"), False: ("", "")},
}


def land_output_options(func: F) -> F:
    """``--format text|json|csv|xlsx`` and ``-o/--output FILE``."""
    options = [
        click.option(
            "--format",
            "fmt",
            type=click.Choice(LAND_FORMATS),
            default="text",
            show_default=True,
            help="Output: tables for people; JSON, CSV or an Excel workbook (needs -o) for tools.",
        ),
        click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write to this file (atomically) instead of the terminal.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def constraints_options(func: F) -> F:
    """``--constraints PATH[:LAYER]`` (repeatable) and ``--rules FILE``."""
    options = [
        click.option(
            "--constraints",
            "constraint_specs",
            multiple=True,
            metavar="PATH[:LAYER]",
            help="A constraint layer to use instead of the park's (kind from a 'kind' field or "
            "the layer's name: hv_lines, 高压线, rivers, 河流 ...). Repeatable; layers may be in "
            "different CRSs.",
        ),
        click.option(
            "--rules",
            "rules_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="A constraints.toml of setbacks to use instead of the park's own.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def today_option(func: F) -> F:
    """``--today DATE``: the date days and pace are counted to (default: --as-of, else today)."""
    return click.option(
        "--today",
        "today",
        default=None,
        metavar="YYYY-MM-DD",
        help="Count days and pace to this date (default: the --as-of date, else today's date).",
    )(func)


# --------------------------------------------------------------------------- buildable


@click.command()
@park_argument
@constraints_options
@click.option(
    "--by",
    type=click.Choice(["parcel", "zone", "status"]),
    default="parcel",
    show_default=True,
    help="Text and CSV: list parcels, or sum by zone or by status.",
)
@loose_file_options
@engine_options
@land_output_options
@lang_option
@handle_errors
def buildable(park, constraint_specs, rules_file, by, fmt, output, lang) -> None:
    """Net buildable land per parcel: gross, constrained and net mu, totals by zone and status.

    Constraints are buffered by their setbacks in the local CGCS2000
    Gauss-Kruger zone; areas are measured on the ellipsoid.
    """
    loaded = load_park(park)
    layers = _constraint_layers(constraint_specs)
    rules = _rules(rules_file, loaded.park)
    with (
        park_engine(loaded.park) as engine,
        _progress_bar(len(loaded.park.parcels), fmt, output, lang) as hook,
    ):
        figures = engine.buildable_figures(layers, rules=rules, progress=hook)
    parcels = pd.DataFrame(figures["parcels"])
    by_zone, by_status = pd.DataFrame(figures["by_zone"]), pd.DataFrame(figures["by_status"])
    main = {"parcel": parcels, "zone": by_zone, "status": by_status}[by]
    totals = {k: figures[k] for k in ("total_gross_mu", "total_constrained_mu", "total_net_mu")}
    _emit(
        figures,
        fmt,
        output,
        lang,
        title=_title(loaded.park, "净可建用地", "Net buildable land", lang),
        text=[(None, main), (None, _figure_rows(totals, current_lang(lang)))]
        + ([("constraints", pd.DataFrame(figures["constraints"]))] if by == "parcel" else []),
        csv=main,
        sheets={
            "parcels": parcels,
            "by_zone": by_zone,
            "by_status": by_status,
            "constraints": pd.DataFrame(figures["constraints"]),
            "totals": _figure_rows(totals, None),
        },
    )


# --------------------------------------------------------------------------- reserve


@click.command()
@park_argument
@click.option(
    "--projects",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A project ledger (CSV/XLSX) to use instead of the park's projects.",
)
@click.option(
    "--assume",
    "assume",
    multiple=True,
    metavar="ZONE=STATUS",
    help="A scenario: take every parcel of ZONE (or one parcel id) as STATUS, e.g. "
    "--assume 傅家店=acquired. Repeatable.",
)
@constraints_options
@loose_file_options
@engine_options
@land_output_options
@lang_option
@handle_errors
def reserve(
    park, projects, assume, constraint_specs, rules_file, fmt, output, lang,
) -> None:  # fmt: skip
    """Available land, pipeline, reserve, demand and shortfall, now and by quarter, in mu.

    With --as-of DATE: the park as it was on that date, and the quarterly
    timeline starts there (land expected earlier counts as overdue).
    """
    from parkgis.land.reserve import reserve_figures

    loaded = load_park(
        park, projects=projects,
    )  # fmt: skip
    layers = _constraint_layers(constraint_specs)
    rules = _rules(rules_file, loaded.park)
    with (
        park_engine(loaded.park) as engine,
        _progress_bar(len(loaded.park.parcels), fmt, output, lang) as hook,
    ):
        table = engine.buildable_table(layers, rules=rules, progress=hook)
    figures = reserve_figures(
        loaded.park, assume=_pairs(assume, "--assume", "ZONE=STATUS"), as_of=current_as_of(),
        buildable=table,
    )  # fmt: skip
    summary = {k: v for k, v in figures.items() if not isinstance(v, (list, dict))}
    quarters = pd.DataFrame(figures["by_quarter"])
    waiting = pd.DataFrame(figures["projects_waiting"])
    excluded = pd.DataFrame(figures["projects_excluded"])
    supply = pd.DataFrame(figures["supply_parcels"])
    assumptions = pd.DataFrame(figures["assumptions"])
    _emit(
        figures,
        fmt,
        output,
        lang,
        title=_title(loaded.park, "土地储备与缺口", "Land reserve and shortfall", lang),
        text=[
            (None, _figure_rows(summary, current_lang(lang))),
            (
                "assumptions",
                assumptions.rename(columns={"status": "acquisition_status", "parcels": "count"}),
            ),
            ("by_quarter", quarters),
            ("projects_waiting", waiting),
            ("projects_excluded", excluded),
        ],
        csv=_figure_rows(summary, None),
        sheets={
            "summary": _figure_rows(summary, None),
            "by_quarter": quarters,
            "projects_waiting": waiting,
            "projects_excluded": excluded,
            "supply_parcels": supply,
            "assumptions": assumptions,
        },
    )


# --------------------------------------------------------------------------- gaps


@click.command()
@park_argument
@today_option
@loose_file_options
@land_output_options
@lang_option
@handle_errors
def gaps(park, today, fmt, output, lang) -> None:
    """The three gaps (批而未征, 征而未供, 供而未用) with mu and days in stage; idle-land alerts."""
    from parkgis.land.gaps import gap_figures, gaps_table

    loaded = load_park(park)
    day = _day(today) or current_as_of() or dt.date.today()
    table = gaps_table(loaded.park, today=day)
    figures = gap_figures(loaded.park, today=day)
    lang_ = current_lang(lang)
    summary = pd.DataFrame(figures["gaps"]).drop(columns=["parcel_ids"])
    summary["gap"] = summary["zh" if lang_ == "zh" else "en"]
    _emit(
        figures,
        fmt,
        output,
        lang,
        title=_title(loaded.park, f"三个问题(截至{day})", f"The three gaps (as of {day})", lang),
        text=[
            (
                None,
                summary.drop(columns=["zh", "en"]).rename(
                    columns={"parcels": "count", "mu": "area_mu"}
                ),
            ),
            (None, _gap_labels(table, lang_)),
        ],
        csv=table,
        sheets={
            "gaps": pd.DataFrame(figures["gaps"]).assign(
                parcel_ids=lambda f: f["parcel_ids"].map(";".join)
            ),
            "parcels": table,
            "idle_alerts": pd.DataFrame(figures["idle_alerts"]),
        },
    )


# --------------------------------------------------------------------------- targets


@click.command()
@park_argument
@today_option
@loose_file_options
@land_output_options
@lang_option
@handle_errors
def targets(park, today, fmt, output, lang) -> None:
    """Each target against its actual: percent done, and whether the pace is on track."""
    from parkgis.land.targets import target_figures, target_progress

    loaded = load_park(park)
    day = _day(today) or current_as_of() or dt.date.today()
    table = target_progress(loaded.park.targets, today=day)
    _emit(
        target_figures(loaded.park.targets, today=day),
        fmt,
        output,
        lang,
        title=_title(loaded.park, f"目标任务进度(截至{day})", f"Targets (as of {day})", lang),
        text=[(None, table)],
        csv=table,
        sheets={"targets": table},
        decimals=1,
    )


# --------------------------------------------------------------------------- enforce


@click.command()
@park_argument
@click.option(
    "--patches",
    "patches_spec",
    metavar="PATH[:LAYER]",
    help="The inspection's change patches (图斑). Without it, only the title risks are listed.",
)
@click.option("--patch-crs", help="CRS of a patch file that declares none, e.g. EPSG:4490.")
@click.option("--patch-id-field", help="Column holding the patch number (default: by name).")
@click.option(
    "--illustrative",
    is_flag=True,
    help="Check patches generated over the land of projects building without a title: a "
    "DEMONSTRATION for the sample park, not satellite data.",
)
@click.option(
    "--findings-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the findings with their geometry (.gpkg or .geojson) for the evidence "
    "package.",
)
@loose_file_options
@land_output_options
@lang_option
@handle_errors
def enforce(
    park, patches_spec, patch_crs, patch_id_field, illustrative, findings_file, fmt, output, lang,
) -> None:  # fmt: skip
    """Enforcement pre-check: patches on unapproved land, on land built without a title, or
    outside the park; and the projects building without a title."""
    from parkgis.land.enforce import (
        ILLUSTRATIVE,
        enforcement_check,
        enforcement_figures,
        illustrative_patches,
        title_risks,
    )

    loaded = load_park(park)
    if patches_spec and illustrative:
        raise click.UsageError("give --patches or --illustrative, not both")
    risks = title_risks(loaded.park)
    figures: dict[str, Any] = {"patches": 0, "patches_with_findings": 0, "by_reason": [],
                               "findings": []}  # fmt: skip
    findings = None
    note = None
    if patches_spec or illustrative:
        if illustrative:
            layer = illustrative_patches(loaded.park)
            note = ILLUSTRATIVE
        else:
            layer = _read_patches(patches_spec, patch_crs)
        findings = enforcement_check(layer, loaded.park, id_field=patch_id_field)
        figures = enforcement_figures(findings, patches=len(layer))
        if findings_file is not None:
            _write_findings(findings, findings_file)
    figures["title_risks"] = risks.to_dict(orient="records")
    figures["note"] = note or (None if findings is not None else "no patch layer given")
    rows = pd.DataFrame(figures["findings"])
    text: list[tuple[str | None, pd.DataFrame]] = []
    if findings is not None:
        text.append(("findings", rows))
    text.append(("title_risks", risks))
    _emit(
        figures,
        fmt,
        output,
        lang,
        title=_title(loaded.park, "卫片执法预检", "Enforcement pre-check", lang),
        text=text,
        csv=rows if findings is not None else risks,
        sheets={"findings": rows, "title_risks": risks},
        footer=figures["note"],
    )


COMMANDS = [buildable, reserve, gaps, targets, enforce]


# --------------------------------------------------------------------------- helpers


def _constraint_layers(specs: tuple[str, ...]) -> list[Any] | None:
    """Read each ``PATH[:LAYER]`` as a constraint layer, kind from its field or name."""
    if not specs:
        return None
    from parkgis.land.constraints import constraint_layer

    layers = []
    for spec in specs:
        path, layer = _path_layer(spec, "--constraints")
        frame, _decisions, issues = read_parcel_file(path, layer=layer, table="constraints")
        if issues:
            listed = "; ".join(i.message for i in issues[:10])
            raise DataError(f"{spec}: {len(issues)} value(s) not understood: {listed}")
        names = [n for n in (layer, _only_layer(path), path.stem) if n]
        layers.append(constraint_layer(frame, name=names))
    return layers


def _only_layer(path: Path) -> str | None:
    """The name of the file's only layer (a GeoPackage's ``rivers``), if it has one."""
    import pyogrio

    try:
        layers = pyogrio.list_layers(path)
    except Exception:  # the reader reports unreadable files; a name is only a hint
        return None
    return str(layers[0][0]) if len(layers) == 1 else None


def _read_patches(spec: str, crs: str | None) -> Any:
    from parkgis.io.vector import read_layer

    path, layer = _path_layer(spec, "--patches")
    read = read_layer(path, layer=layer, crs=crs)
    if read.broken:
        listed = "; ".join(f"feature {b.feature}: {b.reason}" for b in read.broken[:10])
        raise DataError(f"{spec}: {len(read.broken)} patch(es) could not be read: {listed}")
    return read.frame


def _path_layer(spec: str, option: str) -> tuple[Path, str | None]:
    """Split ``PATH[:LAYER]``; a path that exists as given has no layer (C:\\ on Windows)."""
    if Path(spec).exists():
        return Path(spec), None
    head, sep, tail = spec.rpartition(":")
    if sep and head and Path(head).exists() and "/" not in tail and "\\" not in tail:
        return Path(head), tail or None
    raise InputError(f"{option} {spec}: no such file; give PATH or PATH:LAYER")


def _rules(rules_file: Path | None, park: Any) -> Any:
    from parkgis.land.constraints import load_rules, park_rules

    if rules_file is None:
        return park_rules(park)
    import tomllib

    try:
        data = tomllib.loads(rules_file.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{rules_file}: not valid UTF-8 TOML ({exc}); fix the file") from None
    return load_rules(data, where=str(rules_file))


def _pairs(values: tuple[str, ...], option: str, form: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key.strip() or not item.strip():
            raise click.BadParameter(f"{value!r}: write it as {form}", param_hint=option)
        out[key.strip()] = item.strip()
    return out


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD") from None


def _title(park: Any, zh: str, en: str, lang: str | None) -> str:
    return f"{park.manifest.display_name}: {zh if current_lang(lang) == 'zh' else en}"


def _figure_rows(figures: Mapping[str, Any], lang: str | None) -> pd.DataFrame:
    """Figures as (figure, value) rows; labels in ``lang`` (None: the canonical names)."""
    rows = [
        {"figure": field_label(k, lang) if lang else k, "value": v}
        for k, v in figures.items()
        if not isinstance(v, (list, dict))
    ]
    return pd.DataFrame(rows, columns=["figure", "value"])


def _gap_labels(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    from parkgis.land.gaps import GAPS

    pick = 0 if lang == "zh" else 1
    return table.assign(gap=table["gap"].map(lambda c: GAPS.get(c, (c, c))[pick]))


def _text_frame(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Codes of the land figures as labels (vocabulary codes are emit's job)."""
    pick = 0 if lang == "zh" else 1
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.api.extensions.ExtensionDtype):
            values = out[column].astype(object)
            out[column] = values.where(values.notna(), None)
    for column, labels in _CODES.items():
        if column in out.columns:
            out[column] = out[column].map(lambda v, m=labels: m.get(v, (v, v))[pick])
    if "figure" in out.columns and "value" in out.columns:
        out["value"] = out["value"].map(_figure_value)
    return out


def _figure_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _emit(
    figures: Mapping[str, Any],
    fmt: str,
    output: Path | None,
    lang: str | None,
    *,
    title: str,
    text: list[tuple[str | None, pd.DataFrame]],
    csv: pd.DataFrame,
    sheets: dict[str, pd.DataFrame],
    decimals: int = 2,
    footer: str | None = None,
) -> None:
    if fmt == "xlsx":
        if output is None:
            raise click.UsageError("--format xlsx writes a workbook: give -o FILE.xlsx")
        with atomic_path(output) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                _excel_ready(frame).to_excel(writer, sheet_name=name[:31], index=False)
        click.echo(f"{output}", err=True)
        return
    buffer = io.StringIO()
    if fmt == "json":
        buffer.write(json.dumps(to_jsonable(figures), ensure_ascii=False, indent=2) + "\n")
    elif fmt == "csv":
        emit(csv, "csv", file=buffer)
    else:
        lang_ = current_lang(lang)
        first = True
        for name, frame in text:
            if name is not None and not len(frame):
                continue
            label = title if first else (_section(name, lang_) if name else None)
            emit(_text_frame(frame, lang_), "text", title=label, lang=lang_, decimals=decimals,
                 file=buffer)  # fmt: skip
            first = False
        if footer:
            buffer.write(f"{footer}\n")
    if output is None:
        sys.stdout.write(buffer.getvalue())
        return
    with atomic_path(output) as tmp:
        tmp.write_text(buffer.getvalue(), encoding="utf-8")
    click.echo(f"{output}", err=True)


_SECTIONS = {
    "constraints": ("限制要素与退让距离", "Constraints and setbacks"),
    "assumptions": ("情景假设", "Scenario"),
    "by_quarter": ("按季度", "By quarter"),
    "projects_waiting": ("待落地签约项目", "Signed projects waiting for land"),
    "projects_excluded": ("未计入需求的项目", "Projects not counted in demand"),
    "findings": ("图斑问题", "Findings"),
    "title_risks": ("权证风险项目", "Projects with a title risk"),
}


def _section(name: str, lang: str) -> str:
    zh, en = _SECTIONS.get(name, (name, name))
    return zh if lang == "zh" else en


def _excel_ready(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(
                lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple)) else v
            )
    return out


def _write_findings(findings: Any, path: Path) -> None:
    import pyogrio

    drivers = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON"}
    driver = drivers.get(path.suffix.lower())
    if driver is None:
        raise click.BadParameter(
            f"{path}: write findings as .gpkg or .geojson", param_hint="--findings-file"
        )
    out = findings.copy()
    for column in out.columns:
        if column != out.geometry.name and out[column].dtype == object:
            out[column] = out[column].astype("string")
    with atomic_path(path) as tmp:
        pyogrio.write_dataframe(out, tmp, layer="findings", driver=driver)


@contextmanager
def _progress_bar(
    n: int, fmt: str, output: Path | None, lang: str | None
) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr for large parks, when stderr is a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    console = Console(stderr=True)
    if n < _PROGRESS_FROM or not console.is_terminal:
        yield None
        return
    label = "净可建面积" if current_lang(lang) == "zh" else "Net buildable"
    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(label, total=n)

        def hook(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield hook
