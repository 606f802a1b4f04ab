"""``parkgis info``, ``validate``, ``area`` and ``import``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click
import pandas as pd

import parkgis
from parkgis.check.problems import GROUP_OVER, grouped
from parkgis.check.reading import measured_parcels, read_checked
from parkgis.cli.checked import area_rows, checked_engine, checked_park, emit_notes
from parkgis.cli.common import (
    SOURCE,
    current_lang,
    emit,
    engine_options,
    format_option,
    handle_errors,
    lang_option,
    load_park,
    loose_file_options,
    loose_options,
    park_argument,
    parse_day,
    table_for_tools,
    to_jsonable,
)
from parkgis.cli.engine import park_engine
from parkgis.cli.land import _emit, land_output_options
from parkgis.cli.output import with_parcel_geometry
from parkgis.io.reading_cache import default_cache

__all__ = ["COMMANDS", "area", "import_", "info", "validate"]


@click.command()
@park_argument
@loose_file_options
@format_option
@lang_option
@handle_errors
def info(park, fmt, lang) -> None:
    """Describe a park: layers, counts, CRS, extent and total area in mu."""
    checked = checked_park("info", park)
    info = parkgis.park_info(checked.reading.park, area_mu=checked.reading.area_mu)
    emit(info, fmt, lang=lang, title=checked.title)
    emit_notes(checked, fmt)


@click.command()
@park_argument
@click.option(
    "--projects",
    type=click.Path(exists=True, path_type=Path),
    help="A project ledger (CSV/XLSX) to check against the parcels.",
)
@loose_file_options
@engine_options
@format_option
@lang_option
def validate(park, projects, fmt, lang) -> None:
    """Check parcels and projects; list every problem at once.

    Exit status: 0 no errors (warnings allowed), 1 errors found, 2 the input
    could not be read at all.
    """
    run = handle_errors(_validate)
    run(park, projects, fmt, lang)


def _validate(park, projects, fmt, lang) -> None:
    from parkgis.cli.progress import progress_step

    with progress_step(("检查园区", "validating")):
        loaded = load_park(park, projects=projects)
        with park_engine(loaded.park) as figures:
            found = None
            if figures.distributed:
                found = figures.find_problems(value_issues=loaded.park.value_issues)
            reading = read_checked(loaded.park, problems=found, memo=default_cache())
    problems = list(reading.problems)
    errors = reading.errors
    # Many problems of one kind (62,000 parcels naming projects and no project table) are
    # listed as one, with their count and first ids; the summary line counts them all.
    listed = grouped(problems, over=GROUP_OVER, no_projects=not len(loaded.park.projects))
    if fmt == "json":
        _stream_json(
            {"ok": not errors},
            {"problems": (p.to_dict() for p in listed), "parcels": measured_parcels(reading)},
        )
    elif fmt == "csv":
        _stream_csv(listed, lang)
    else:
        rows = parkgis.problems_table(listed, lang=current_lang(lang))
        if len(rows):
            emit(rows, fmt, lang=lang)
    line = reading.summary(current_lang(lang)) or (
        f"{loaded.park.manifest.display_name}: 0 个错误, 0 个警告"
        if current_lang(lang) == "zh"
        else f"{loaded.park.manifest.display_name}: 0 error(s), 0 warning(s)"
    )
    if fmt == "text":
        click.echo(line)
    elif problems:
        click.echo(f"parkgis: {line}", err=True)
    if errors:
        raise SystemExit(1)


def _stream_json(head: dict[str, Any], lists: dict[str, Iterable[Any]]) -> None:
    """Write ``{**head, **lists}`` as JSON, each list item on a line of its own as it comes."""
    out = sys.stdout
    out.write("{")
    sep = "\n"
    for key, value in head.items():
        out.write(f"{sep}  {json.dumps(key)}: {json.dumps(to_jsonable(value), ensure_ascii=False)}")
        sep = ",\n"
    for key, items in lists.items():
        out.write(f"{sep}  {json.dumps(key)}: [")
        inner = "\n"
        for item in items:
            text = json.dumps(to_jsonable(item), ensure_ascii=False, separators=(", ", ": "))
            out.write(inner + "    " + text)
            inner = ",\n"
        out.write("\n  ]" if inner != "\n" else "]")
        sep = ",\n"
    out.write("\n}\n")


def _stream_csv(problems: Sequence[Any], lang: str | None, *, chunk: int = 5_000) -> None:
    """Write the problems as ``emit`` writes their table as CSV, a chunk at a time."""
    language = current_lang(lang)
    for start in range(0, max(len(problems), 1), chunk):
        rows = parkgis.problems_table(problems[start : start + chunk], lang=language)
        text = table_for_tools(rows, language).to_csv(
            index=False, header=start == 0, lineterminator="\n"
        )
        if start == 0:
            text = "\ufeff" + text
        raw = getattr(sys.stdout, "buffer", None)
        if raw is None:
            sys.stdout.write(text)
        else:
            sys.stdout.flush()
            raw.write(text.encode("utf-8"))
            raw.flush()


@click.command()
@park_argument
@click.option(
    "--by",
    "by",
    default=None,
    metavar="FIELD",
    help="Sum by a field instead of listing parcels, e.g. --by acquisition_status.",
)
@click.option(
    "--planar",
    is_flag=True,
    help="Add the planar Gauss-Kruger area (as boundary-survey reports give it).",
)
@loose_file_options
@engine_options
@land_output_options
@lang_option
@handle_errors
def area(park, by, planar, fmt, output, lang) -> None:
    """Measure every parcel on the CGCS2000 ellipsoid, in mu and m².

    With -o the file's extension chooses: a layer (.gpkg, .geojson, .parquet,
    .shp) of the parcels with their areas, .csv, .xlsx (with a sum row) or .json.
    """
    by_field = frozenset({f"parcels.{by}"}) if by else frozenset()
    with checked_engine("area", park, uses=by_field) as (checked, figures):
        measured = figures.area_table(planar=planar)
    shapes = measured[["parcel_id", measured.geometry.name]] if "parcel_id" in measured else None
    table = pd.DataFrame(measured.drop(columns=measured.geometry.name))
    # By a field: the measured parcels (those left out are named in the notes); else every
    # parcel, with a row saying why for those left out.
    table = parkgis.area_by(table, by) if by else area_rows(checked, table, current_lang(lang))
    if output is None and fmt != "xlsx":
        emit(table, fmt, lang=lang, title=checked.title)
        emit_notes(checked, fmt)
        return
    sheet = f"by_{by}" if by else "parcels"
    _emit(
        table, fmt, output, lang, title=checked.title, text=[(None, table)], csv=table,
        sheets={sheet: table}, totals=(sheet,), layer_name="areas",
        layer=None if by or shapes is None else lambda: with_parcel_geometry(table, shapes),
    )  # fmt: skip
    emit_notes(checked, "file")  # on standard error: the file holds the table alone


@click.command(name="import")
@click.argument("sources", nargs=-1, required=True, type=SOURCE)
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(path_type=Path),
    help="The park folder to create.",
)
@click.option("--name", help="Short name of the park (default: the folder's name).")
@click.option("--title", default="", help="Display name, e.g. 元坝工业园区.")
@click.option(
    "--private",
    "private",
    multiple=True,
    metavar="FIELD",
    help="A field holding personal data of land owners. Repeatable.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing park folder (and its log).")
@click.option(
    "--update",
    is_flag=True,
    help="Import a newer ledger over an existing park: status, step, title, stage and funding "
    "differences are recorded as events (needs --date and --by); tables not given are kept.",
)
@click.option("--date", "date_", metavar="YYYY-MM-DD", help="With --update: the changes' date.")
@click.option("--by", "by", metavar="NAME", help="With --update: who records the changes.")
@click.option("--note", help="With --update: a note on every event, e.g. the ledger's name.")
@click.option(
    "--status",
    "status",
    metavar="STATUS",
    callback=lambda ctx, param, value: _status_term(value),
    help="Acquisition status of the parcels whose source gives none (a 界址点 TXT, a CASS DXF, "
    "a KML), e.g. 未征收 or unacquired; parcels whose source gives one keep it.",
)
@loose_file_options
@handle_errors
def import_(
    sources, output, name, title, private, overwrite, update, date_, by, note, status,
) -> None:  # fmt: skip
    """Build a park folder from loose files: parcels, constraints, project ledger.

    Polygon layers become parcels, line layers (or layers named like a
    constraint: 高压线, rivers ...) constraints; CSV/XLSX tables become
    projects, targets or allocations by their columns. Every decision taken
    (encoding, CRS, field mapping) is printed.

    With --update the sources are a newer ledger of the park -o PARK: the
    status differences go to the park's event log (parkgis history shows
    them) instead of overwriting it.
    """
    from datetime import datetime

    if update and (date_ is None or not by):
        raise click.UsageError("--update records events: give --date YYYY-MM-DD and --by NAME")

    from parkgis.cli.progress import progress_step

    with progress_step(("导入", "importing")):
        report = _import(
            sources,
            output,
            name,
            title,
            private,
            overwrite,
            update,
            date_,
            by,
            note,
            datetime.now().astimezone().isoformat(timespec="seconds"),
            status,
        )
    for line in report.lines:
        click.echo(line)


def _status_term(value: str | None) -> str | None:
    """``--status`` as its code; a term that is not one is a usage error naming the terms."""
    if value is None:
        return None
    from parkgis.errors import VocabularyError
    from parkgis.model.vocab import ACQUISITION

    try:
        return ACQUISITION.code(value, where="--status", where_zh="--status")
    except VocabularyError as exc:
        raise click.BadParameter(exc.text(current_lang()), param_hint="--status") from None


def _import(sources, output, name, title, private, overwrite, update, date_, by, note,
            recorded_at, status):  # fmt: skip
    from parkgis.io.importer import import_sources

    return import_sources(
        list(sources),
        output,
        name=name,
        title=title,
        private_fields=tuple(private),
        overwrite=overwrite,
        **loose_options(),
        update=update,
        date=parse_day(date_, "--date"),
        by=by,
        note=note,
        recorded_at=recorded_at,
        status=status,
    )


COMMANDS = [info, validate, area, import_]
