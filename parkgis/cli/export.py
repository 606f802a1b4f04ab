"""``parkgis export``: a park's parcels in the formats of the bureau and the surveyors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from parkgis.cli.checked import checked_park, emit_notes
from parkgis.cli.common import current_lang, handle_errors, lang_option, park_argument

__all__ = ["COMMANDS", "export"]


def _split(values: tuple[str, ...]) -> list[str]:
    """``--parcels A --parcels B,C`` → ``["A", "B", "C"]``."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


@click.command()
@park_argument
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write; its extension chooses the format: .txt (界址点坐标 TXT), .kml, "
    ".kmz, .dxf, .gpkg, .shp, .geojson, .parquet, .csv, .xlsx.",
)
@click.option(
    "--parcels",
    "parcel_ids",
    multiple=True,
    metavar="ID",
    help="Only these parcels (repeatable, or comma-separated).",
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    metavar="STATUS",
    help="Only parcels of this acquisition status: code, Chinese label or alias (repeatable).",
)
@click.option(
    "--zone",
    type=int,
    metavar="N",
    help="Gauss-Kruger zone of the TXT and the 成果表: 25..45 (3-degree) or 13..23 "
    "(6-degree), Y with the zone number (default: the 3-degree zone of the parcels).",
)
@click.option(
    "--crs",
    "crs",
    metavar="CRS",
    help="CRS to write in, e.g. EPSG:4544 (for the TXT: a CGCS2000 Gauss-Kruger CRS).",
)
@click.option(
    "--private",
    "private",
    is_flag=True,
    help="Include the manifest's private fields (left out by default).",
)
@click.option(
    "--boundary-points",
    is_flag=True,
    help="Write the 界址点成果表 (point number, X, Y, edge length, area) to -o FILE.xlsx.",
)
@lang_option
@handle_errors
def export(park, output, parcel_ids, statuses, zone, crs, private, boundary_points, lang) -> None:
    """Write the park's parcels as a file for the bureau, the surveyors or a phone.

    The 界址点坐标 TXT carries the planar Gauss-Kruger area of the zone (as
    approval packages do); the tables carry the ellipsoidal area in mu.
    """
    from parkgis.io.export import export_reading

    # The owners' fields are read (joined from private_fields) only when they are to be shown.
    checked = checked_park("export", park, private=private)
    decisions, count = export_reading(
        checked.reading,
        output,
        parcel_ids=_split(parcel_ids),
        statuses=_split(statuses),
        boundary_points=boundary_points,
        include_private=private,
        zone=zone,
        crs=crs,
        lang=current_lang(lang),
        produced_on=dt.date.today(),
    )
    for line in decisions:
        click.echo(f"  {line}")
    click.echo(f"wrote {output}: {count} parcel(s)")
    emit_notes(checked, "text")


COMMANDS = [export]
