"""``parkgis landuse``: the land use under each parcel, from the third national land survey.

Reads, calls :func:`parkgis.land.landuse.landuse_figures`, emits, like the
other land commands (``--format text|json|csv|xlsx``, ``-o FILE``).
"""

from __future__ import annotations

from typing import Any

import click
import pandas as pd

from parkgis.cli.checked import checked_park
from parkgis.cli.common import (
    current_lang,
    handle_errors,
    lang_option,
    loose_file_options,
    park_argument,
)
from parkgis.cli.land import _emit, _figure_rows, _title, _with_notes, land_output_options
from parkgis.cli.output import with_parcel_geometry
from parkgis.io.survey import read_survey_layers
from parkgis.land.landuse import GROUPS

__all__ = ["CATEGORIES", "COMMANDS", "landuse", "survey_options"]

CATEGORIES = {
    "agricultural": ("农用地", "Agricultural"),
    "construction": ("建设用地", "Construction"),
    "unused": ("未利用地", "Unused"),
}
"""The Land Administration Law's three categories, as labels."""


def survey_options(func: Any) -> Any:
    """``--landuse``, ``--farmland``, ``--redline`` (each ``PATH[:LAYER]``) and ``--survey-crs``."""
    options = [
        click.option("--landuse", "landuse_spec", metavar="PATH[:LAYER]",
                     help="The 三调 land-use patches (DLTB with DLBM), e.g. 三调.gdb:DLTB. "
                     "Default: a layer DLTB/landuse kept in the park."),
        click.option("--farmland", "farmland_spec", metavar="PATH[:LAYER]",
                     help="Permanent basic farmland (YJJBNTTB). Default: the layer beside "
                     "--landuse or in the park so named, else the park's farmland constraints."),
        click.option("--redline", "redline_spec", metavar="PATH[:LAYER]",
                     help="The ecological red line. Default: as for --farmland (STBHHX)."),
        click.option("--survey-crs", help="CRS of survey layers that declare none."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def read_survey(
    park: Any, spec: Any, *, landuse: str | None, farmland: str | None, redline: str | None,
    crs: str | None, required: bool = True,
) -> Any:  # fmt: skip
    """The survey layers for a park: given, kept in the park, or its farmland constraints."""
    layers = read_survey_layers(
        landuse, farmland=farmland, redline=redline, park=spec if spec else None, crs=crs,
        required=required,
    )  # fmt: skip
    constraints = park.constraints
    if layers.landuse is None:
        return layers
    for kind, attr in (("farmland", "farmland"), ("eco_redline", "redline")):
        if getattr(layers, attr) is None and "kind" in constraints and len(constraints):
            chosen = constraints[constraints["kind"] == kind]
            chosen = chosen[chosen.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
            if len(chosen):
                setattr(layers, attr, chosen)
                layers.decisions.append(
                    f"{attr}: the park's {len(chosen)} constraint(s) of kind {kind!r}"
                )
    return layers


def labelled_groups(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Group and category codes as labels in ``lang``."""
    pick = 0 if lang == "zh" else 1
    out = frame.copy()
    if "group" in out:
        out["group"] = out["group"].map(lambda v: GROUPS[v][pick] if v in GROUPS else "")
    if "category" in out:
        out["category"] = out["category"].map(
            lambda v: CATEGORIES[v][pick] if v in CATEGORIES else ""
        )
    return out


@click.command()
@park_argument
@survey_options
@loose_file_options
@land_output_options
@lang_option
@handle_errors
def landuse(
    park, landuse_spec, farmland_spec, redline_spec, survey_crs, fmt, output, lang,
) -> None:  # fmt: skip
    """Land use under each parcel from the 三调 survey: 耕地, 园地, 林地, 草地, construction land,
    water and other land in mu, by DLBM, and the mu inside permanent basic farmland and the
    ecological red line. Measured on the ellipsoid."""
    from parkgis.land.landuse import landuse_figures

    checked = checked_park("landuse", park)
    layers = read_survey(
        checked.park, park, landuse=landuse_spec, farmland=farmland_spec, redline=redline_spec,
        crs=survey_crs,
    )  # fmt: skip
    figures = landuse_figures(
        checked.park.parcels, layers.landuse, farmland=layers.farmland, redline=layers.redline
    )
    figures["decisions"] = layers.decisions
    figures = _with_notes(figures, checked, lang)
    lang_ = current_lang(lang)
    parcels = pd.DataFrame(figures["parcels"])
    by_dlbm = labelled_groups(pd.DataFrame(figures["by_dlbm"]), lang_)
    problems = pd.DataFrame(figures["problems"])
    if len(problems):
        problems = problems.drop(columns=["message_zh" if lang_ == "en" else "message"])
    totals = _figure_rows(figures["totals"], lang_)
    for line in layers.decisions:
        click.echo(f"parkgis: {line}", err=True)
    _emit(
        figures,
        fmt,
        output,
        lang,
        title=_title(checked.park, "三调地类核查", "Land use by the third national survey", lang),
        text=[(None, _readable(parcels)), (None, by_dlbm), (None, totals)],
        csv=parcels,
        sheets={
            "parcels": parcels,
            "by_dlbm": by_dlbm,
            "totals": _figure_rows(figures["totals"], None),
            "problems": problems,
        },
        layer=lambda: with_parcel_geometry(parcels, checked.park.parcels),
        layer_name="landuse",
        totals=("parcels",),
    )
    for line in _problem_lines(figures, lang_):
        click.echo(f"parkgis: {line}", err=True)


def _readable(parcels: pd.DataFrame) -> pd.DataFrame:
    """The parcel table for the terminal: without the columns that are empty or all zero."""
    keep = {"parcel_id", "gross_mu", "farmland_mu"}
    shown = [
        c
        for c in parcels.columns
        if c in keep or (parcels[c].notna().any() and not (parcels[c].astype(object) == 0).all())
    ]
    return parcels[shown]


def _problem_lines(figures: dict[str, Any], lang: str) -> list[str]:
    key = "message_zh" if lang == "zh" else "message"
    return [str(p[key]) for p in figures["problems"]]


COMMANDS = [landuse]
