"""``parkgis status set|show``, ``history`` and ``copy``: the status history of a park.

Writing::

    parkgis status set ID [STATUS] --park PARK --date D --by NAME
        [--step S] [--title T] [--stage S] [--funding F] [--entity parcel|project]
        [--note TEXT] [--evidence REF] [--force]

STATUS is a parcel's acquisition status or a project's stage (told apart by
the term: 征收中 is a status, 在建 a stage); ``--step`` and ``--title`` change a
parcel's acquisition step and title, ``--stage``, ``--funding`` and ``--title``
a project's. The changes of one command are recorded together or not at all.
PARK is a park GeoPackage (``mypark.gpkg``) or a store URL (or ``--store
URL``): each command is one transaction. A park folder of an earlier version
is read but not changed (``parkgis copy FOLDER -o NEW.gpkg`` converts it, with
its history); the bundled sample park is never changed (``parkgis copy -o
mypark.gpkg`` makes a copy to change).

Reading: ``parkgis history [ID] --park PARK`` lists the events (``--format
json`` gives an array with ``field``, ``from``, ``to``, ``date``, ``by`` ...),
``parkgis status show [ID] --park PARK`` the current status and days in it;
both take ``--as-of DATE``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pandas as pd

from parkgis.cli.checked import checked_park
from parkgis.cli.common import (
    FORMATS,
    current_as_of,
    current_lang,
    current_store,
    emit,
    handle_errors,
    lang_option,
    load_park,
    park_argument,
    park_option,
    parse_day,
)
from parkgis.errors import DataError, InputError
from parkgis.model.park import Park
from parkgis.model.schema import field_label

if TYPE_CHECKING:
    from parkgis.model.history import Event

__all__ = [
    "COMMANDS",
    "copy",
    "echo_events",
    "history",
    "new_park_options",
    "status",
    "status_set",
    "status_show",
    "writable_target",
    "write_new_park",
]

_FIELD_OPTIONS = (
    ("step", "acquisition_step"),
    ("title", "title_status"),
    ("stage", "stage"),
    ("funding", "funding_status"),
)


@click.group()
def status() -> None:
    """Record and show the status of parcels and projects (an append-only history)."""


@status.command(name="set")
@click.argument("entity_id", metavar="ID")
@click.argument("value", metavar="[STATUS]", required=False)
@park_option(as_of=False, help="The park to change: a .gpkg park or a store URL (required).")
@click.option("--step", metavar="STEP", help="A parcel's acquisition step, e.g. survey, 组卷报批.")
@click.option("--title", metavar="TITLE", help="The title status (parcel or project).")
@click.option("--stage", metavar="STAGE", help="A project's stage, e.g. construction, 在建.")
@click.option("--funding", metavar="FUNDING", help="A project's funding, e.g. in_place, 未到位.")
@click.option(
    "--entity",
    type=click.Choice(["parcel", "project"]),
    help="Whether ID is a parcel or a project, when it is both.",
)
@click.option(
    "--date",
    "date_",
    required=True,
    metavar="YYYY-MM-DD",
    help="Effective date: today or earlier (a change still to come is not recorded).",
)
@click.option(
    "--by",
    required=True,
    envvar="PARKGIS_USER",
    metavar="NAME",
    help="Who records the change (default: $PARKGIS_USER).",
)
@click.option("--note", help="What happened, e.g. the notice's title.")
@click.option("--evidence", metavar="REF", help="Where the proof is: a notice number, a file.")
@click.option(
    "--force",
    is_flag=True,
    help="Record a skip along the chain, a step back (a correction) or a value out of order; "
    "the event is marked forced.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@lang_option
@handle_errors
def status_set(
    entity_id, value, park, step, title, stage, funding, entity,
    date_, by, note, evidence, force, fmt, lang,
) -> None:  # fmt: skip
    """Record a change of status, step, title, stage or funding of a parcel or project.

    Examples: parkgis status set YB-R-01 acquiring --step pre_notice --park mypark.gpkg
    --date 2024-03-01 --by 王工 --evidence 元府征预〔2024〕3号;
    parkgis status set P21 construction --park mypark.gpkg --date 2024-04-02 --by 王工.
    """
    from parkgis.model.history import StatusChange

    target = writable_target(park)
    day = parse_day(date_, "--date")
    assert day is not None
    fields = [(_status_field(value), value)] if value else []
    given = {"step": step, "title": title, "stage": stage, "funding": funding}
    fields += [(f, given[o]) for o, f in _FIELD_OPTIONS if given[o]]
    if not fields:
        raise click.UsageError("say what changes: STATUS, --step, --title, --stage or --funding")
    common = {"date": day, "by": by, "entity": entity, "note": note, "evidence": evidence}
    changes = [StatusChange(entity_id, f, v, force=force, **common) for f, v in fields]
    recorded_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    if isinstance(target, str):
        from parkgis.io.postgis import record_store_changes

        events = record_store_changes(target, changes, recorded_at=recorded_at)
    else:
        from parkgis.io.store import record_park_changes

        events = record_park_changes(target, changes, recorded_at=recorded_at)
    echo_events(events, fmt, lang=lang)


@status.command(name="show")
@click.argument("entity_id", metavar="[ID]", required=False)
@park_option()
@click.option(
    "--today",
    metavar="YYYY-MM-DD",
    help="Count days in stage to this date (default: the --as-of date, else today's date).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@lang_option
@handle_errors
def status_show(entity_id, park, today, fmt, lang) -> None:
    """Show each parcel's status, step and title, since when and for how many days."""
    from parkgis.model.history import days_in_stage, status_since

    loaded = checked_park("status", park).reading  # every parcel, as read; problems said
    parcels = loaded.park.parcels
    day = parse_day(today, "--today") or current_as_of() or dt.date.today()
    columns = [
        c
        for c in ("parcel_id", "name", "acquisition_status", "acquisition_step", "title_status")
        if c in parcels.columns
    ]
    table = pd.DataFrame(parcels[columns]).reset_index(drop=True)
    table["since"] = status_since(loaded.park, today=day).to_numpy()
    days = days_in_stage(loaded.park, today=day)
    table["days_in_stage"] = pd.Series([None if pd.isna(d) else int(d) for d in days], dtype=object)
    if entity_id is not None:
        table = table[table["parcel_id"] == entity_id]
        if not len(table):
            raise DataError(f"park {loaded.park.name!r}: no parcel {entity_id!r}")
    emit(table, fmt, lang=lang, title=loaded.park.manifest.display_name)


@click.command()
@click.argument("entity_id", metavar="[ID]", required=False)
@park_option()
@click.option(
    "--field",
    "field_",
    metavar="FIELD",
    help="Only this field: acquisition_status, acquisition_step, title_status, stage, "
    "funding_status; a parcel's geometry, retired, added, split, merge, or another of its "
    "fields (name, zone, land_use, declared_area_mu, project_id ...).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@lang_option
@handle_errors
def history(entity_id, park, field_, fmt, lang) -> None:
    """List the recorded changes of a parcel or project (all of the park's without ID).

    Every change: status, step, title, stage, funding, a parcel's other
    fields, its boundary (geometry, version n → n+1), its retirement,
    addition, split and merge. JSON gives an array of events: seq, entity,
    entity_id, field, from, to, date, recorded_at, by, note, evidence,
    forced. With --as-of, the events effective up to that date.
    """
    from parkgis.model.history import ATTRIBUTE_FIELDS, FIELDS, LIFE_FIELDS, events_of

    loaded = load_park(park)
    events = events_of(loaded.park.events, entity_id=entity_id)
    if field_ is not None:
        known = {f for fields in FIELDS.values() for f in fields}
        known |= {*LIFE_FIELDS, *ATTRIBUTE_FIELDS}
        if field_ not in known:
            raise click.BadParameter(f"{field_!r}: use one of {', '.join(sorted(known))}")
        events = [e for e in events if e.field == field_]
    if entity_id is not None and not events:
        _check_known(loaded.park, entity_id)
    rows = _event_rows(events)
    if fmt == "text":
        lang = current_lang(lang)
        shown = rows.copy()
        for column in ("from", "to"):
            pairs = zip(rows["field"], rows[column], strict=True)
            shown[column] = [_label(f, v, lang) for f, v in pairs]
        shown["field"] = [field_label(f, lang) for f in rows["field"]]
        title = f"{loaded.park.manifest.display_name}: {entity_id or ''}".rstrip(": ")
        if not len(rows):
            click.echo("没有记录的变更" if lang == "zh" else "no change recorded")
            return
        emit(shown.drop(columns=["entity"]), "text", lang=lang, title=title)
        return
    emit(rows, fmt, lang=lang)


def echo_events(events: Sequence[Event], fmt: str, *, lang: str | None = None) -> None:
    """Print events just recorded: one line each as text, or the rows as JSON or CSV.

    A line is ``#SEQ ENTITY ID FIELD: FROM → TO (DATE, BY)``, terms as their
    labels in ``lang`` (``#3 parcel YB-R-01 acquisition_status: 未征收 → 征收中
    (2024-03-01, 王工)``).
    """
    if fmt != "text":
        emit(_event_rows(events), fmt, lang=lang)
        return
    lang = current_lang(lang)
    for e in events:
        forced = (" (强制)" if lang == "zh" else " (forced)") if e.forced else ""
        click.echo(
            f"#{e.seq} {e.entity} {e.entity_id} {e.field}: {_label(e.field, e.from_, lang)} → "
            f"{_label(e.field, e.to, lang)} ({e.date.isoformat()}, {e.by}){forced}"
        )


def new_park_options(func: click.decorators.FC) -> click.decorators.FC:
    """``-o/--output FILE.gpkg`` (required) and ``--overwrite``: where a copied park goes."""
    func = click.option(
        "--overwrite", is_flag=True, help="Replace an existing park (and its log)."
    )(func)
    return click.option(
        "-o",
        "--output",
        required=True,
        type=click.Path(path_type=Path),
        help="The park GeoPackage to write (NAME.gpkg).",
    )(func)


def write_new_park(park: Park, output: Path, *, overwrite: bool) -> None:
    """Write ``park`` (with its event log) to ``output``, refusing to replace a park unasked."""
    from parkgis.io.store import check_writable, create_park, is_park

    check_writable(output)
    if is_park(output) and not overwrite:
        raise InputError(
            f"{output} is already a park; pass --overwrite to replace it",
            zh=f"{output} 已是一个园区；如要替换，请加 --overwrite",
        )
    create_park(park, output)  # a new file appears only complete: none if interrupted
    click.echo(f"{output}")


@click.command()
@park_argument
@new_park_options
@handle_errors
def copy(park, output, overwrite) -> None:
    """Copy a park (with its event log) into a new park GeoPackage (-o NEW.gpkg).

    Copies the bundled sample (no PARK) to a file you can change, converts a
    park folder of an earlier version (with its history, retired parcels and
    private fields), copies a store's park (--store URL, as parkgis db pull),
    or the park as it was on a date (--as-of).
    """
    write_new_park(load_park(park, private=True).park, output, overwrite=overwrite)


def writable_target(park: Path | str | None) -> Path | str:
    """The park to change: a park GeoPackage or a store URL (``--park`` or ``--store``).

    Raises
    ------
    click.UsageError
        For no park, or both ``--park`` and ``--store``.
    InputError
        For the bundled sample park, a park folder of an earlier version (with
        the way to convert it) or a file that is not a park.
    """
    store = current_store()
    if park is not None and store is not None:
        raise click.UsageError("give --park or --store, not both")
    target = park if park is not None else store
    if target is None:
        raise click.UsageError(
            "name the park to change: --park PARK.gpkg (or --store URL). The bundled sample park "
            "is never changed; copy it first: parkgis copy -o mypark.gpkg"
        )
    if isinstance(target, str):
        return target
    from parkgis.io.store import check_writable, folder_write_error, is_park_file, is_park_folder

    check_writable(target)
    if is_park_folder(target):
        raise folder_write_error(Path(target))
    if not is_park_file(target):
        raise InputError(
            f"{target} is not a park; changes are recorded in a park GeoPackage "
            f"(make one with parkgis import ... -o PARK.gpkg or parkgis copy -o PARK.gpkg)",
            zh=f"{target} 不是园区；变更记录在园区 GeoPackage 中（请用 parkgis import ... -o "
            f"园区.gpkg 或 parkgis copy -o 园区.gpkg 生成）",
        )
    return target


COMMANDS = [status, history, copy]


# --------------------------------------------------------------------------- helpers


def _status_field(value: str) -> str:
    from parkgis.model.vocab import ACQUISITION, STAGE

    found = [f for f, v in (("acquisition_status", ACQUISITION), ("stage", STAGE)) if value in v]
    if len(found) == 1:
        return found[0]
    accepted = ", ".join([*ACQUISITION.codes, *STAGE.codes])
    raise click.BadParameter(
        f"{value!r} is neither an acquisition status nor a project stage; expected one of "
        f"{accepted} (or a Chinese label or alias from parkgis/model/vocab.toml)",
        param_hint="STATUS",
    )


def _event_rows(events: Sequence[Event]) -> pd.DataFrame:
    from parkgis.model.history import events_frame

    return events_frame(events)


def _label(field: str, code: str | None, lang: str) -> str:
    if code is None:
        return "—"
    from parkgis.model.vocab import VOCABULARIES

    vocab = VOCABULARIES.get(field)
    return vocab.label(code, lang=lang) if vocab is not None and code in vocab else code


def _check_known(park: Park, entity_id: str) -> None:
    keys = {"parcels": "parcel_id", "projects": "project_id"}
    for table, key in keys.items():
        frame = getattr(park, table)
        if key in frame.columns and entity_id in set(frame[key].astype(object).tolist()):
            return
    raise DataError(f"park {park.name!r}: no parcel or project {entity_id!r}")
