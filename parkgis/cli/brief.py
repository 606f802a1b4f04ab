"""``parkgis brief``: a land-acquisition briefing as Word, printable HTML or Markdown.

The command reads the park (and an earlier copy of it for ``--since``),
calls :func:`parkgis.brief.brief_content` and
:func:`parkgis.brief.write_brief`, and prints the file written.

- The file type follows ``-o``: ``.docx`` (default), ``.html`` or ``.md``.
  Without ``-o`` the briefing goes to ``briefings/<park>[-<scope>].docx``
  under the current directory (like ``parkgis map`` writes ``maps/``).
- ``--since`` takes a date (``YYYY-MM-DD``) or a park folder. Since a date,
  the parcels whose status or step changed after it are listed, from and
  to, as the park's event log records them (a park without a log falls back
  on the parcels' ``status_date``, the earlier status unknown). Against a
  folder, parcels whose status or step differ are listed (and parcels added
  or removed).
- ``--as-of DATE`` briefs the park as it was on that date; the briefing's
  date (``--today``) defaults to it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from parkgis.cli.checked import checked_park
from parkgis.cli.common import (
    current_as_of,
    current_lang,
    handle_errors,
    lang_option,
    loose_file_options,
    park_argument,
)
from parkgis.cli.landuse import read_survey, survey_options
from parkgis.io.loose import read_patches

__all__ = ["COMMANDS", "brief"]


@click.command()
@park_argument
@click.option("--zone", metavar="ZONE", help="Brief one zone, e.g. --zone xx山上台阶地.")
@click.option("--parcels", metavar="ID,...", help="Brief these parcels, e.g. YB-R-01,YB-R-02.")
@click.option("--project", metavar="ID", help="Brief the parcels of one project, e.g. P21.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write: .docx (Word), .pdf (A4, needs parkgis[pdf]), .html (prints on A4) "
    "or .md (default: briefings/<park>[-<scope>].docx).",
)
@click.option(
    "--template",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Word only: the office's own .docx to fill (its styles, page setup, header, footer "
    "and first page are kept; {{park}}, {{date}}, {{title}} and other fields are filled).",
)
@click.option(
    "--style-map",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="With --template: a TOML file naming the template's style for each part "
    "(title, heading_1..heading_3, body, table, caption, list).",
)
@click.option(
    "--template-field",
    "template_fields",
    multiple=True,
    metavar="NAME=VALUE",
    help="With --template: a value for the field {{NAME}}, e.g. --template-field 密级=内部. "
    "Repeatable.",
)
@click.option("--atlas", is_flag=True, help="Add one page per parcel: its map and attributes.")
@click.option(
    "--boundary-points",
    is_flag=True,
    help="Add an appendix with each parcel's 界址点成果表 (points, X, Y, edge lengths, area).",
)
@click.option(
    "--since",
    metavar="DATE|PARK",
    help="List parcels whose status or step changed since a date (from the event log) or "
    "compared with an earlier park folder.",
)
@click.option(
    "--include-private",
    is_flag=True,
    help="Include private fields (land owners' data). Left out otherwise.",
)
@click.option(
    "--today",
    metavar="YYYY-MM-DD",
    help="The briefing's date: days in stage and target pace are counted to it "
    "(default: the --as-of date, else today's date).",
)
@click.option(
    "--patches",
    "patches_spec",
    metavar="PATH[:LAYER]",
    help="Satellite change patches (卫片图斑) for the enforcement pre-check.",
)
@survey_options
@click.option(
    "--font",
    default="auto",
    show_default=True,
    metavar="auto|none|FAMILY",
    help="Font of the map and charts: a CJK font found on the system, none (English labels), "
    "or a family name.",
)
@lang_option
@loose_file_options
@handle_errors
def brief(
    park,
    zone,
    parcels,
    project,
    output,
    template,
    style_map,
    template_fields,
    atlas,
    boundary_points,
    since,
    include_private,
    today,
    patches_spec,
    landuse_spec,
    farmland_spec,
    redline_spec,
    survey_crs,
    font,
    lang,
) -> None:
    """Write a land-acquisition briefing: key figures, map, charts, parcels, risks, cost.

    The figures are those of parkgis reserve --as-of TODAY and parkgis targets
    --today TODAY. Without --zone, --parcels or --project, the whole park.
    """
    from parkgis.brief import default_brief_path

    chosen = [
        name
        for name, value in (("--zone", zone), ("--parcels", parcels), ("--project", project))
        if value
    ]
    if len(chosen) > 1:
        raise click.UsageError(
            f"give one of --zone, --parcels, --project (not {' and '.join(chosen)})"
        )
    # The owners' fields are read (joined from private_fields) only when they are to be shown.
    loaded = checked_park("brief", park, private=include_private)
    day = _day(today, "--today") or current_as_of() or dt.date.today()
    since_date, since_park, since_label = _since(since)
    survey = read_survey(
        loaded.park, park, landuse=landuse_spec, farmland=farmland_spec, redline=redline_spec,
        crs=survey_crs, required=landuse_spec is not None,
    )  # fmt: skip
    for line in survey.decisions:
        click.echo(f"parkgis: {line}", err=True)
    from parkgis.cli.progress import progress_step

    with progress_step(("生成简报", "writing the briefing")):
        content = _content(loaded, zone, parcels, project, lang, include_private, day,
                           since_park, since_label, since_date, patches_spec, atlas,
                           boundary_points, survey)  # fmt: skip
        path = _write(content, output or default_brief_path(content), font, template, style_map,
                      template_fields)  # fmt: skip
    click.echo(f"{path}")


def _write(content, target, font, template, style_map, template_fields) -> Path:  # fmt: skip
    """Write the briefing; a template's notes and unfilled fields are said on stderr."""
    import warnings

    from parkgis.brief import write_brief
    from parkgis.brief.template import TemplateFieldWarning, office_template, read_style_map

    if template is None and (style_map is not None or template_fields):
        raise click.UsageError("--style-map and --template-field go with --template FILE.docx")
    styles = read_style_map(style_map) if style_map is not None else None
    if template is not None:
        for note in office_template(template, style_map=styles).notes:
            click.echo(f"parkgis: {note}", err=True)
    values = _pairs(template_fields)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TemplateFieldWarning)
        path = write_brief(content, target, font=font, template=template, style_map=styles,
                           fields=values)  # fmt: skip
    for warning in caught:
        if issubclass(warning.category, TemplateFieldWarning):
            click.echo(f"parkgis: {warning.message}", err=True)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)  # fmt: skip
    return path


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r}: write it as NAME=VALUE",
                                     param_hint="--template-field")  # fmt: skip
        out[name.strip()] = text.strip()
    return out


def _content(loaded, zone, parcels, project, lang, include_private, day, since_park,
             since_label, since_date, patches_spec, atlas, boundary_points, survey):  # fmt: skip
    from parkgis.brief import brief_content

    return brief_content(
        loaded.park,
        zone=zone,
        parcels=parcels,
        project=project,
        lang=current_lang(lang),
        include_private=include_private,
        today=day,
        since_park=since_park,
        since_label=since_label,
        since_date=since_date,
        patches=read_patches(patches_spec) if patches_spec else None,
        atlas=atlas,
        boundary_points=boundary_points,
        data_notes=loaded.reading.note_texts(current_lang(lang)),
        landuse=vars(survey) if survey.landuse is not None else None,
    )


COMMANDS = [brief]


def _day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date; write it as YYYY-MM-DD", param_hint=option
        ) from None


def _since(value: str | None) -> tuple[dt.date | None, object, str | None]:
    """``--since``: a date, or a park folder (or parcel file) to compare with."""
    if value is None:
        return None, None, None
    try:
        return dt.date.fromisoformat(value.strip()), None, None
    except ValueError:
        pass
    path = Path(value)
    if not path.exists():
        raise click.BadParameter(
            f"{value!r} is neither a date (YYYY-MM-DD) nor a park folder", param_hint="--since"
        )
    from parkgis.io.loose import load_park as load_other  # not --as-of: the park as it was

    return None, load_other(path).park, str(path)
