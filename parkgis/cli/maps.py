"""``parkgis map``: one self-contained HTML map of a park."""

from __future__ import annotations

import re
from pathlib import Path

import click

from parkgis.check.reading import FIGURE_TABLES
from parkgis.cli.checked import checked_park
from parkgis.cli.common import (
    current_lang,
    handle_errors,
    lang_option,
    loose_file_options,
    park_argument,
)

__all__ = ["COMMANDS", "default_map_path", "map_"]

_COLOR_BY = ("acquisition_status", "stage", "title", "land_use", "zone")


def default_map_path(park_name: str) -> Path:
    """``maps/<park name>.html``, relative to the current directory.

    Examples
    --------
    >>> default_map_path("yuanba").as_posix()
    'maps/yuanba.html'
    """
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", park_name).strip(" .") or "park"
    return Path("maps") / f"{safe}.html"


@click.command(name="map")
@park_argument
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write (default: maps/<park name>.html).",
)
@click.option(
    "--color-by",
    type=click.Choice(_COLOR_BY),
    default="acquisition_status",
    show_default=True,
    help="What colours the parcels.",
)
@click.option(
    "--basemap",
    default="none",
    show_default=True,
    metavar="NAME[,NAME...]",
    help="none, osm, tianditu-vec, tianditu-img, gaode, gaode-satellite or a URL template "
    "with {z}/{x}/{y}; several comma-separated are switchable.",
)
@click.option(
    "--include-private", is_flag=True, help="Show private fields (land owners' data) in popups."
)
@click.option(
    "--offline/--online",
    default=True,
    show_default=True,
    help="Inline every script and stylesheet (works with no network) or link them from CDNs.",
)
@click.option(
    "--tianditu-key",
    envvar="TIANDITU_KEY",
    metavar="KEY",
    help="Tianditu browser key (default: $TIANDITU_KEY); written into the map.",
)
@click.option(
    "--simplify",
    "simplify_m",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    metavar="METRES",
    help="Draw parcels simplified to this tolerance, for very large parks "
    "(areas are always measured on the full geometry).",
)
@lang_option
@loose_file_options
@handle_errors
def map_(
    park,
    output,
    color_by,
    basemap,
    include_private,
    offline,
    tianditu_key,
    simplify_m,
    lang,
) -> None:
    """Draw a park as an interactive HTML map that opens with no network.

    Parcels are coloured by status (or --color-by), with a legend of counts
    and mu, constraints and their setback corridors, reserve zones, labels,
    a summary panel, search, measuring and a minimap.
    """

    # The owners' fields are read (joined from private_fields) only when they are to be shown.
    loaded = checked = checked_park("map", park, private=include_private)
    lang = current_lang(lang)
    stops_reserve = checked.reading.blocking(FIGURE_TABLES["reserve"])
    withheld = None
    if stops_reserve:
        withheld = (
            f"{len(stops_reserve)} 个错误使该数字不可靠（parkgis validate 列出）"
            if lang == "zh"
            else f"{len(stops_reserve)} error(s) make this figure uncertain (parkgis validate)"
        )
    from parkgis.cli.progress import progress_step

    with progress_step(("绘制地图", "building the map")):
        path = _build(loaded, checked, withheld, color_by, basemap, lang, include_private,
                      offline, tianditu_key, simplify_m, output)  # fmt: skip
    click.echo(f"{path}")
    if tianditu_key and "tianditu" in basemap:
        click.echo(
            "注意: 地图文件含天地图密钥, 请勿公开或提交到代码库"
            if lang == "zh"
            else "Note: the map file holds your Tianditu key; do not publish it or commit it",
            err=True,
        )


def _build(loaded, checked, withheld, color_by, basemap, lang, include_private, offline,
           tianditu_key, simplify_m, output):  # fmt: skip
    from parkgis.maps import park_map, save_map

    m = park_map(
        loaded.park,
        notes=checked.reading.note_texts(lang),
        withheld=withheld,
        color_by=color_by,
        basemap=basemap,
        lang=lang,
        include_private=include_private,
        offline=offline,
        tianditu_key=tianditu_key,
        simplify_m=simplify_m,
    )
    return save_map(m, output or default_map_path(loaded.park.name), offline=offline)


COMMANDS = [map_]
