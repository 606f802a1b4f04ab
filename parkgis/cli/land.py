"""``parkgis buildable``, ``reserve``, ``gaps``, ``targets`` and ``enforce``: the land figures.

Each command reads, calls the library, emits. ``--format`` takes text (rich
tables), json (the library's figures as they are: canonical names and
codes), csv (the main table) or xlsx (every table, one sheet each; needs
``-o FILE``). CSV and XLSX are for people and Excel: headers and codes are
labels in ``--lang`` (Chinese by default), and CSV carries a UTF-8 BOM. With
``-o FILE`` any format is written to the file, atomically.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
import pandas as pd

from parkgis.cli.checked import CheckedPark, checked_engine, checked_park
from parkgis.cli.common import (
    current_as_of,
    current_lang,
    emit,
    engine_options,
    handle_errors,
    json_text,
    lang_option,
    loose_file_options,
    park_argument,
    table_for_tools,
    to_jsonable,
)
from parkgis.cli.output import (
    LAYER_SUFFIXES,
    output_kind,
    with_parcel_geometry,
    write_layer,
    write_workbook,
)
from parkgis.errors import DataError, InputError
from parkgis.io.loose import read_parcel_file, read_patches, split_layer
from parkgis.io.writing import atomic_path
from parkgis.land.gaps import GAPS
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
    "gap": GAPS,
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
            help="Output: tables for people; JSON, CSV or an Excel workbook (needs -o) for tools. "
            "With -o the file's extension chooses.",
        ),
        click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write to this file (atomically), by its extension: .gpkg, .geojson, .parquet, "
            ".shp (a layer, each row with its geometry), .csv, .xlsx, .json; else text.",
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
    layers = _constraint_layers(constraint_specs)
    net_layer = None
    with checked_engine("buildable", park) as (checked, engine):
        rules = _rules(rules_file, checked.park)
        with _progress_bar(len(checked.park.parcels)) as hook:
            if output_kind(fmt, output) == "layer":  # the net buildable part of each parcel
                from parkgis.land.buildable import buildable_figures, buildable_table

                net_layer = buildable_table(checked.park, layers, rules=rules, geometry=True,
                                            progress=hook)  # fmt: skip
                figures = buildable_figures(checked.park, layers, rules=rules, table=net_layer)
            else:
                figures = engine.buildable_figures(layers, rules=rules, progress=hook)
    figures = _with_notes(figures, checked, lang)
    loaded = checked
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
        layer=net_layer,
        layer_name="buildable",
        totals=("parcels", "by_zone", "by_status"),
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

    The figures are for today, or with --as-of DATE for the park as it was on
    that date; the quarterly timeline starts there. Land whose expected
    acquisition date has passed and is still not acquired is overdue: listed
    with its date, never counted as arriving.
    """
    from parkgis.land.reserve import reserve_figures

    layers = _constraint_layers(constraint_specs)
    with checked_engine("reserve", park, projects=projects) as (checked, engine):
        rules = _rules(rules_file, checked.park)
        with _progress_bar(len(checked.park.parcels)) as hook:
            table = engine.buildable_table(layers, rules=rules, progress=hook)
    loaded = checked
    figures = reserve_figures(
        loaded.park, assume=_pairs(assume, "--assume", "ZONE=STATUS"),
        as_of=current_as_of() or dt.date.today(), buildable=table,
    )  # fmt: skip
    figures = _with_notes(figures, checked, lang)
    summary = {k: v for k, v in figures.items() if not isinstance(v, (list, dict))}
    quarters = pd.DataFrame(figures["by_quarter"])
    waiting = pd.DataFrame(figures["projects_waiting"])
    excluded = pd.DataFrame(figures["projects_excluded"])
    supply = pd.DataFrame(figures["supply_parcels"])
    overdue = pd.DataFrame(figures["overdue_parcels"])
    assumptions = pd.DataFrame(figures["assumptions"])
    _emit(
        figures,
        fmt,
        output,
        lang,
        title=_title(loaded.park, "土地储备与缺口", "Land reserve and shortfall", lang),
        text=[
            (None, _figure_rows(_closes_in_words(summary, current_lang(lang)), current_lang(lang))),
            (
                "assumptions",
                assumptions.rename(columns={"status": "acquisition_status", "parcels": "count"}),
            ),
            ("by_quarter", quarters),
            ("overdue_parcels", overdue),
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
        layer=lambda: with_parcel_geometry(supply, loaded.park.parcels) if len(supply) else None,
        layer_name="supply_parcels",
    )


def _with_notes(figures: dict[str, Any], checked: CheckedPark, lang: str | None) -> dict[str, Any]:
    """The figures with the reading's notes (repairs, parcels left out), when there are."""
    notes = checked.reading.note_texts(current_lang(lang))
    return {**figures, "notes": notes} if notes else figures


def _closes_in_words(summary: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The summary with a shortfall that never closes said in words, for people."""
    if summary.get("shortfall_closes_in") is not None:
        return dict(summary)
    return {**summary, "shortfall_closes_in": "未消除" if lang == "zh" else "not closed"}


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

    loaded = checked = checked_park("gaps", park)
    day = _day(today) or current_as_of() or dt.date.today()
    table = gaps_table(loaded.park, today=day, area_mu=checked.reading.area_mu.to_numpy())
    figures = _with_notes(gap_figures(loaded.park, today=day, table=table), checked, lang)
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
            (None, table),
        ],
        csv=table,
        sheets={
            "gaps": pd.DataFrame(figures["gaps"]).assign(
                parcel_ids=lambda f: f["parcel_ids"].map(";".join)
            ),
            "parcels": table,
            "idle_alerts": pd.DataFrame(figures["idle_alerts"]),
        },
        layer=lambda: with_parcel_geometry(table, loaded.park.parcels),
        layer_name="gaps",
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

    loaded = checked = checked_park("targets", park)
    day = _day(today) or current_as_of() or dt.date.today()
    table = target_progress(loaded.park.targets, today=day)
    _emit(
        _with_notes(target_figures(loaded.park.targets, today=day), checked, lang),
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

    if patches_spec and illustrative:
        raise click.UsageError("give --patches or --illustrative, not both")
    loaded = checked = checked_park("enforce", park)
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
            layer = read_patches(patches_spec, crs=patch_crs)
        findings = enforcement_check(layer, loaded.park, id_field=patch_id_field)
        figures = enforcement_figures(findings, patches=len(layer))
        if findings_file is not None:
            _write_findings(findings, findings_file)
    figures["title_risks"] = risks.to_dict(orient="records")
    figures["note"] = note or (None if findings is not None else "no patch layer given")
    figures = _with_notes(figures, checked, lang)
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
        layer=findings if findings is not None else lambda: _risk_layer(risks, loaded.park.parcels),
        layer_name="findings" if findings is not None else "title_risks",
    )


COMMANDS = [buildable, reserve, gaps, targets, enforce]


def _risk_layer(risks: pd.DataFrame, parcels: Any) -> Any:
    """The title risks, each with the union of its project's parcels."""
    import geopandas as gpd
    import shapely

    shapes = parcels.drop_duplicates("parcel_id").set_index("parcel_id").geometry
    geometry = [
        shapely.union_all(shapes.reindex([p for p in ids or () if p in shapes.index]).to_numpy())
        for ids in risks.get("parcel_ids", pd.Series([None] * len(risks)))
    ]
    return gpd.GeoDataFrame(risks.reset_index(drop=True), geometry=geometry, crs=parcels.crs)


# --------------------------------------------------------------------------- helpers


def _constraint_layers(specs: tuple[str, ...]) -> list[Any] | None:
    """Read each ``PATH[:LAYER]`` as a constraint layer, kind from its field or name."""
    if not specs:
        return None
    from parkgis.land.constraints import constraint_layer

    layers = []
    for spec in specs:
        path, layer = split_layer(spec)
        frame, _decisions, issues = read_parcel_file(path, layer=layer, table="constraints")
        errors = [i for i in issues if i.severity == "error"]
        if errors:
            listed = "; ".join(i.message for i in errors[:10])
            listed_zh = "；".join(i.message_zh or i.message for i in errors[:10])
            raise DataError(
                f"{spec}: {len(errors)} value(s) not understood: {listed}",
                zh=f"{spec}：有 {len(errors)} 个值无法识别：{listed_zh}",
            )
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


def _text_frame(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A table for the terminal: codes as labels, figure values formatted."""
    out = _labelled(frame, lang)
    if "figure" in out.columns and "value" in out.columns:
        out["value"] = out["value"].map(_figure_value)
    return out


def _labelled(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Codes of the land figures as labels in ``lang`` (vocabulary codes and headers are
    :func:`~parkgis.cli.common.emit`'s and :func:`~parkgis.cli.common.table_for_tools`'s job)."""
    pick = 0 if lang == "zh" else 1
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.api.extensions.ExtensionDtype):
            values = out[column].astype(object)
            out[column] = values.where(values.notna(), None)
    for column, labels in _CODES.items():
        if column in out.columns:
            out[column] = out[column].map(lambda v, m=labels: m.get(v, (v, v))[pick])
    return out


def _for_tools(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A table as CSV and Excel get it: headers and codes as labels in ``lang``."""
    return table_for_tools(_labelled(frame, lang), lang)


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
    layer: Any = None,
    layer_name: str = "parcels",
    totals: tuple[str, ...] = (),
) -> None:
    """Print or write a command's result; with ``-o`` the extension chooses the kind
    (:mod:`parkgis.cli.output`).

    ``layer`` is the GeoDataFrame a spatial ``-o`` writes, or a function
    that makes it (None: the result has no geometry); ``totals`` names the
    sheets that end with a sum row.
    """
    fmt = output_kind(fmt, output)
    if fmt == "layer":
        if callable(layer):  # made only when a layer is written
            layer = layer()
        if layer is None:
            listed = ", ".join(LAYER_SUFFIXES)
            raise click.UsageError(
                f"this result has no geometry to write as {listed}; write .csv, .xlsx or .json"
            )
        for line in write_layer(layer, output, layer=layer_name):
            click.echo(f"parkgis: {line}", err=True)
        click.echo(f"{output}", err=True)
        return
    if fmt == "xlsx":
        if output is None:
            raise click.UsageError("--format xlsx writes a workbook: give -o FILE.xlsx")
        lang_ = current_lang(lang)
        write_workbook(
            sheets, output, labelled=lambda f: _excel_ready(_for_tools(f, lang_)), lang=lang_,
            totals=totals,
        )  # fmt: skip
        click.echo(f"{output}", err=True)
        return
    if fmt == "csv":
        _write_csv(_labelled(csv, current_lang(lang)), output, current_lang(lang))
        return
    buffer = io.StringIO()
    if fmt == "json":
        buffer.write(json_text(to_jsonable(figures)) + "\n")
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
        for note in figures.get("notes", ()):
            buffer.write(f"{'注：' if lang_ == 'zh' else 'Note: '}{note}\n")
    if output is None:
        sys.stdout.write(buffer.getvalue())
        return
    with atomic_path(output) as tmp:
        tmp.write_text(buffer.getvalue(), encoding="utf-8")
    click.echo(f"{output}", err=True)


def _write_csv(frame: pd.DataFrame, output: Path | None, lang: str) -> None:
    """CSV with a UTF-8 BOM and labelled headers (:func:`emit`), to ``output`` or stdout."""
    if output is None:
        emit(frame, "csv", lang=lang)
        return
    with atomic_path(output) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
        emit(frame, "csv", lang=lang, file=handle)
    click.echo(f"{output}", err=True)


_SECTIONS = {
    "constraints": ("限制要素与退让距离", "Constraints and setbacks"),
    "assumptions": ("情景假设", "Scenario"),
    "by_quarter": (
        "按季度(仅计入预计日期未过的土地)",
        "By quarter (counting only land whose expected date has not passed)",
    ),
    "overdue_parcels": (
        "逾期未征收地块(预计征收日期已过, 不计入)",
        "Overdue land (expected date passed, not counted)",
    ),
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
def _progress_bar(n: int) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr for large parks, when stderr is a terminal."""
    from parkgis.cli.progress import progress_bar

    with progress_bar(("净可建面积", "net buildable"), total=n, min_total=_PROGRESS_FROM) as hook:
        yield hook
