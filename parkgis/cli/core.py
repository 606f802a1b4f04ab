"""``parkgis info``, ``validate``, ``area`` and ``import``."""

from __future__ import annotations

from pathlib import Path

import click

import parkgis
from parkgis.cli.common import (
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
)
from parkgis.cli.engine import park_engine

__all__ = ["COMMANDS", "area", "import_", "info", "validate"]


@click.command()
@park_argument
@loose_file_options
@format_option
@lang_option
@handle_errors
def info(park, fmt, lang) -> None:
    """Describe a park: layers, counts, CRS, extent and total area in mu."""
    loaded = load_park(park)
    emit(parkgis.park_info(loaded.park), fmt, lang=lang, title=loaded.park.manifest.display_name)


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
    loaded = load_park(park, projects=projects)
    with park_engine(loaded.park) as figures:
        problems = figures.find_problems(value_issues=loaded.park.value_issues)
    errors = [p for p in problems if p.severity == "error"]
    if fmt == "json":
        emit({"ok": not errors, "problems": [p.to_dict() for p in problems]}, fmt)
    else:
        rows = parkgis.problems_table(problems)
        if fmt == "csv" or len(rows):
            emit(rows, fmt, lang=lang)
        if fmt == "text":
            lang = current_lang(lang)
            name, warnings = loaded.park.manifest.display_name, len(problems) - len(errors)
            click.echo(
                f"{name}: {len(errors)} 个错误, {warnings} 个警告"
                if lang == "zh"
                else f"{name}: {len(errors)} error(s), {warnings} warning(s)"
            )
    if errors:
        raise SystemExit(1)


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
@format_option
@lang_option
@handle_errors
def area(park, by, planar, fmt, lang) -> None:
    """Measure every parcel on the CGCS2000 ellipsoid, in mu and m²."""
    loaded = load_park(park)
    with park_engine(loaded.park) as figures:
        table = figures.area_table(planar=planar)
    if by:
        table = parkgis.area_by(table, by)
    emit(table, fmt, lang=lang, title=loaded.park.manifest.display_name)


@click.command(name="import")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
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
@loose_file_options
@handle_errors
def import_(
    sources, output, name, title, private, overwrite, update, date_, by, note,
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

    from parkgis.io.importer import import_sources

    if update and (date_ is None or not by):
        raise click.UsageError("--update records events: give --date YYYY-MM-DD and --by NAME")

    report = import_sources(
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
        recorded_at=datetime.now().astimezone().isoformat(timespec="seconds"),
    )
    for line in report.lines:
        click.echo(line)


COMMANDS = [info, validate, area, import_]
