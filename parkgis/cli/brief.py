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

from parkgis.cli.common import (
    current_as_of,
    current_lang,
    handle_errors,
    lang_option,
    load_park,
    loose_file_options,
    park_argument,
)

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
    help="The file to write: .docx (Word), .html (prints on A4) or .md "
    "(default: briefings/<park>[-<scope>].docx).",
)
@click.option("--atlas", is_flag=True, help="Add one page per parcel: its map and attributes.")
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
    atlas,
    since,
    include_private,
    today,
    patches_spec,
    font,
    lang,
) -> None:
    """Write a land-acquisition briefing: key figures, map, charts, parcels, risks, cost.

    The figures are those of parkgis reserve --as-of TODAY and parkgis targets
    --today TODAY. Without --zone, --parcels or --project, the whole park.
    """
    from parkgis.brief import brief_content, default_brief_path, write_brief

    chosen = [
        name
        for name, value in (("--zone", zone), ("--parcels", parcels), ("--project", project))
        if value
    ]
    if len(chosen) > 1:
        raise click.UsageError(
            f"give one of --zone, --parcels, --project (not {' and '.join(chosen)})"
        )
    loaded = load_park(park)
    day = _day(today, "--today") or current_as_of() or dt.date.today()
    since_date, since_park, since_label = _since(since)
    content = brief_content(
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
        patches=_patches(patches_spec) if patches_spec else None,
        atlas=atlas,
    )
    path = write_brief(content, output or default_brief_path(content), font=font)
    click.echo(f"{path}")


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


def _patches(spec: str) -> object:
    from parkgis.errors import DataError, InputError
    from parkgis.io.vector import read_layer

    path, layer = Path(spec), None
    if not path.exists():
        head, sep, tail = spec.rpartition(":")
        if not (sep and Path(head).exists()):
            raise InputError(f"--patches {spec}: no such file; give PATH or PATH:LAYER")
        path, layer = Path(head), tail or None
    read = read_layer(path, layer=layer)
    if read.broken:
        listed = "; ".join(f"feature {b.feature}: {b.reason}" for b in read.broken[:10])
        raise DataError(f"{spec}: {len(read.broken)} patch(es) could not be read: {listed}")
    return read.frame
