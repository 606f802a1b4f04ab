"""``parkgis db init|push|pull|list``: share a park in PostgreSQL + PostGIS.

::

    parkgis db init --store postgresql://user@host/db
    parkgis db push PARKDIR --store postgresql://user@host/db?park=yuanba [--replace]
    parkgis db pull --store postgresql://user@host/db?park=yuanba -o PARKDIR [--overwrite]
    parkgis db list --store postgresql://user@host/db

Then every command takes the store in place of a park folder:
``parkgis reserve --store URL``, ``parkgis status set ID STATUS --park URL ...``.
Passwords are best kept out of the URL (``~/.pgpass`` or ``PGPASSWORD``).
"""

from __future__ import annotations

from pathlib import Path

import click

from parkgis.cli.common import handle_errors
from parkgis.cli.status import new_park_options, write_new_park
from parkgis.errors import InputError

__all__ = ["COMMANDS", "db", "init", "list_", "pull", "push"]


def _store_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--store",
        "url",
        required=True,
        metavar="URL",
        help="The store: postgresql://user@host[:port]/db[?park=NAME].",
    )(func)


@click.group()
def db() -> None:
    """Share parks in PostgreSQL + PostGIS: init a store, push a park in, pull it out."""


@db.command()
@_store_option
@handle_errors
def init(url) -> None:
    """Prepare a database for parks: the PostGIS extension and the park registry."""
    from parkgis.io.postgis import init_store, safe_url

    init_store(url)
    click.echo(f"{safe_url(url)}: ready")


@db.command()
@click.argument("park", required=False, type=click.Path(exists=True, path_type=Path))
@_store_option
@click.option("--name", help="The park's name in the store (default: ?park= in the URL, "
              "else the park's own name).")  # fmt: skip
@click.option("--replace", is_flag=True, help="Drop the store's park of that name first.")
@handle_errors
def push(park, url, name, replace) -> None:
    """Copy a park (with its event log) into a store, in one transaction."""
    from parkgis.cli.progress import progress_bar, progress_step
    from parkgis.io.loose import load_park
    from parkgis.io.postgis import push_park, safe_url
    from parkgis.io.store import is_park

    if park is not None and not is_park(park):
        msg = f"{park} is not a park; import it first (parkgis import … -o PARK.gpkg)"
        raise InputError(msg, zh=f"{park} 不是园区；请先导入（parkgis import … -o 园区.gpkg）")

    with progress_step(("读取园区", "reading the park")):
        loaded = load_park(park, private=True).park  # the store keeps the owners' fields too
    rows = sum(len(getattr(loaded, t)) for t in ("parcels", "constraints", "projects", "events"))
    with progress_bar(("推送到数据库", "pushing"), total=rows, min_total=1_000) as hook:
        pushed = push_park(loaded, url, name=name, replace=replace, progress=hook)
    click.echo(f"{safe_url(url)}: park {pushed!r}")


@db.command()
@_store_option
@new_park_options
@handle_errors
def pull(url, output, overwrite) -> None:
    """Copy a park out of a store into a park folder (with its event log)."""
    from parkgis.io.postgis import read_park

    write_new_park(read_park(url), output, overwrite=overwrite)


@db.command(name="list")
@_store_option
@handle_errors
def list_(url) -> None:
    """List the parks a store holds."""
    from parkgis.io.postgis import list_parks

    for name in list_parks(url):
        click.echo(name)


COMMANDS = [db]
