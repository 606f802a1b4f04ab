"""``parkgis split`` and ``parkgis merge``: record a split (分宗) or a merge (合宗) of parcels.

::

    parkgis split PARK PARCEL_ID --parts FILE[:LAYER] --date YYYY-MM-DD --note TEXT
        [--by NAME] [--evidence REF] [--crs EPSG:NNNN] [--id-field COLUMN]
    parkgis merge PARK ID1 ID2 [ID ...] --into NEW_ID [--name NAME] --date YYYY-MM-DD
        --note TEXT [--by NAME] [--evidence REF]

A split takes its parts from the survey file (分宗测量成果: GeoJSON, GeoPackage,
zipped shapefile, KML, 界址点 TXT …), each feature a part with its new id
(宗地号); a merge joins neighbouring parcels into one with a new id. Both are
recorded as ``parkgis import --update`` records a newer ledger whose
``derived_from`` column (来源地块) names where each new parcel came from: a
``split`` or ``merge`` event, ``retired`` on the parcels that leave (kept, so
``--as-of`` an earlier date gives them back) and ``added`` on the new ones —
in one transaction that writes only the parcels involved
(:func:`parkgis.io.gpkg.reshape_park`). The checks are those of
:mod:`parkgis.model.reshape`: parts that cover the parcel and stay within it,
parcels that share boundaries and agree on status, title, project, zone and
land use.

PARK is a park GeoPackage. A park folder of an earlier version is read but not
changed (``parkgis copy FOLDER -o NEW.gpkg`` converts it); the bundled sample
park is never changed; a PostGIS store keeps no retired parcels yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from parkgis.cli.common import FORMATS, PARK, handle_errors, lang_option, parse_day
from parkgis.cli.status import echo_events, writable_target
from parkgis.errors import InputError

if TYPE_CHECKING:
    from parkgis.model.history import Event
    from parkgis.model.park import Park
    from parkgis.model.reshape import Reshape

__all__ = ["COMMANDS", "merge", "split"]


def _change_options(func: Callable[..., None]) -> Callable[..., None]:
    """``--date``, ``--note``, ``--by``, ``--evidence`` and ``--format``, as ``status set``."""
    options = [
        click.option("--date", "date_", required=True, metavar="YYYY-MM-DD",
                     help="Effective date (of the survey or the approval): today or earlier."),
        click.option("--note", required=True, metavar="TEXT",
                     help="What happened, e.g. 分宗测量 or the approval's title."),
        click.option("--by", required=True, envvar="PARKGIS_USER", metavar="NAME",
                     help="Who records the change (default: $PARKGIS_USER)."),
        click.option("--evidence", metavar="REF",
                     help="Where the proof is: the survey report, the approval's number."),
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
                     show_default=True, help="The events recorded: lines, JSON or CSV."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


@click.command()
@click.argument("park", type=PARK)
@click.argument("parcel_id")
@click.option(
    "--parts",
    required=True,
    metavar="FILE[:LAYER]",
    help="The survey of the parts: one feature per part, with its new id (宗地号).",
)
@click.option("--crs", metavar="EPSG:NNNN", help="CRS of a parts file that has none.")
@click.option("--id-field", metavar="COLUMN", help="The column of the parts' new ids, "
              "when it is not recognised by name (地块编号, 宗地号 …).")  # fmt: skip
@_change_options
@lang_option
@handle_errors
def split(park, parcel_id, parts, crs, id_field, date_, note, by, evidence, fmt, lang) -> None:
    """Split a parcel into the parts of a survey (分宗), recorded in the park's history.

    The parts must cover the parcel and stay within it (to 0.1 % of its
    area or 0.01 mu) without overlapping; each keeps the parcel's fields but
    its id, and its name and declared area where the file gives them.
    Example: parkgis split mypark.gpkg YB-R-02 --parts 分宗.geojson
    --date 2024-07-01 --note 分宗测量 --by 王工.
    """
    from parkgis.io.loose import read_split_parts
    from parkgis.model.reshape import split_parcel

    target = _park_file(park)
    day = _day(date_)
    pieces = read_split_parts(parts, crs=crs, id_field=id_field)
    events = _record(target, lambda p: split_parcel(p, parcel_id, pieces), day, by, note, evidence)
    echo_events(events, fmt, lang=lang)


@click.command()
@click.argument("park", type=PARK)
@click.argument("parcel_ids", nargs=-1, required=True, metavar="ID1 ID2 [ID...]")
@click.option("--into", "new_id", required=True, metavar="NEW_ID",
              help="The merged parcel's id (宗地号): a new one.")  # fmt: skip
@click.option("--name", metavar="NAME", help="The merged parcel's name.")
@_change_options
@lang_option
@handle_errors
def merge(park, parcel_ids, new_id, name, date_, note, by, evidence, fmt, lang) -> None:
    """Merge neighbouring parcels into one new parcel (合宗), recorded in the park's history.

    The parcels must share boundaries (a corner is not one), not overlap,
    and agree on status, step, title, project, zone and land use; the
    declared area is their sum. Example: parkgis merge mypark.gpkg YB-R-03
    YB-R-04 --into YB-R-34 --date 2024-07-01 --note 合宗批复 --by 王工.
    """
    from parkgis.model.reshape import merge_parcels

    target = _park_file(park)
    day = _day(date_)
    ids = list(parcel_ids)
    events = _record(
        target, lambda p: merge_parcels(p, ids, new_id, name=name), day, by, note, evidence
    )
    echo_events(events, fmt, lang=lang)


COMMANDS = [split, merge]


# --------------------------------------------------------------------------- helpers


def _park_file(park: Path | str) -> Path:
    """The park GeoPackage to change; a store, a folder or another file refused."""
    if isinstance(park, str):
        from parkgis.io.postgis import safe_url

        url = safe_url(park)
        msg = (
            f"{url}: splits and merges are recorded in a park GeoPackage only: a store keeps no "
            f"retired parcels yet, which --as-of needs to give them back"
        )
        zh = (
            f"{url}：分宗与合宗目前只能记录在园区 GeoPackage 中：数据库暂不保存已注销地块，"
            f"而按日期回看（--as-of）需要它们"
        )
        raise InputError(msg, zh=zh)
    return Path(writable_target(park))


def _day(text: str) -> dt.date:
    day = parse_day(text, "--date")
    assert day is not None  # --date is required
    return day


def _record(
    target: Path,
    make: Callable[[Park], Reshape],
    day: dt.date,
    by: str,
    note: str,
    evidence: str | None,
) -> tuple[Event, ...]:
    """Read the park, make the change, record it (:func:`parkgis.io.gpkg.reshape_park`)."""
    from parkgis.io.gpkg import reshape_park

    recorded_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    return reshape_park(
        target, make, date=day, by=by, note=note, evidence=evidence, recorded_at=recorded_at
    )
