"""What every command shares: the park argument, output formats, errors.

Every command that reads a park takes ``[PARK]`` (a folder, a parcel file, a
store URL ``postgresql://…?park=NAME``, or nothing for the bundled park) and,
through :func:`park_argument`, the options ``--as-of DATE`` (the park as it
was on that date, by its event log; the land figures' timeline starts there)
and ``--store URL`` (a PostGIS store in place of PARK). Both are kept on the
:class:`Context`, and :func:`load_park` passes them on, so a command needs no
parameter of its own for them.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
import numpy as np
import pandas as pd

from parkgis.errors import InputError, ParkgisError
from parkgis.io.postgis import is_store_url
from parkgis.model.schema import field_label
from parkgis.model.vocab import VOCABULARIES

__all__ = [
    "FORMATS",
    "PARK",
    "Context",
    "ParkParam",
    "current_as_of",
    "current_store",
    "emit",
    "engine_options",
    "format_option",
    "handle_errors",
    "lang_option",
    "load_park",
    "loose_file_options",
    "park_argument",
    "park_option",
    "parse_day",
    "to_jsonable",
]

FORMATS = ("text", "json", "csv")
F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """Options given to the ``parkgis`` group, and the park options of the command."""

    def __init__(self, *, debug: bool = False, lang: str = "zh") -> None:
        self.debug = debug
        self.lang = lang
        self.as_of: date | None = None
        self.store: str | None = None
        self.engine: str = "local"  # --engine, --scheduler, --partitions: see engine_options
        self.scheduler: str | None = None
        self.partitions: int | None = None
        self.loose: dict[str, Any] = {}  # --crs, --encoding, --id-field, --field


class ParkParam(click.ParamType):
    """A park: an existing folder or file (a Path), or a store URL (kept as text)."""

    name = "park"

    def convert(self, value: Any, param: Any, ctx: Any) -> Path | str:
        if isinstance(value, Path) or (isinstance(value, str) and not is_store_url(value)):
            path = Path(value)
            if not path.exists():
                self.fail(
                    f"{value}: no such park folder or file (a store is postgresql://…)", param, ctx
                )
            return path
        return str(value)


PARK = ParkParam()


def parse_day(value: str | None, option: str = "--as-of") -> date | None:
    """Read ``YYYY-MM-DD`` (or a date as ledgers write it) with a clear error."""
    if value is None:
        return None
    from parkgis.model.schema import parse_date

    try:
        return date.fromisoformat(parse_date(value, what=option))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _remember(
    name: str, convert: Callable[[Any], Any] | None = None
) -> Callable[[click.Context, click.Parameter, Any], None]:
    """A click callback keeping an option's value on the :class:`Context`.

    The value (converted by ``convert``) goes to the attribute ``name``, or to
    ``Context.loose[key]`` for ``name="loose.key"``; an option not given
    (None, or no repeats) leaves the context as it is.
    """

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is None or value == ():
            return
        value = convert(value) if convert else value
        obj = ctx.ensure_object(Context)
        if name.startswith("loose."):
            obj.loose[name.removeprefix("loose.")] = value
        else:
            setattr(obj, name, value)

    return callback


def _store_url(value: str) -> str:
    if not is_store_url(value):
        raise click.BadParameter(
            f"{value!r} is not a store URL; write postgresql://user@host/db?park=NAME",
            param_hint="--store",
        )
    return value


def _park_options(*, as_of: bool = True) -> list[Callable[[F], F]]:
    options = []
    if as_of:
        options.append(
            click.option(
                "--as-of",
                metavar="YYYY-MM-DD",
                expose_value=False,
                callback=_remember("as_of", parse_day),
                help="The park as it was on this date, by its event log (status, step, title, "
                "stage); figures and timelines start there.",
            )
        )
    options.append(
        click.option(
            "--store",
            metavar="URL",
            expose_value=False,
            callback=_remember("store", _store_url),
            help="A PostGIS store in place of PARK: postgresql://user@host/db?park=NAME.",
        )
    )
    return options


def park_argument(func: F) -> F:
    """``[PARK]`` (folder, parcel file or store URL; none: the bundled park), ``--as-of``,
    ``--store``."""
    for option in reversed(_park_options()):
        func = option(func)
    return click.argument("park", required=False, type=PARK)(func)


def park_option(*, as_of: bool = True, help: str | None = None) -> Callable[[F], F]:
    """``--park PARK`` (folder or store URL), ``--store`` and, for reading, ``--as-of``."""

    def decorate(func: F) -> F:
        for option in reversed(_park_options(as_of=as_of)):
            func = option(func)
        return click.option(
            "--park",
            "park",
            type=PARK,
            metavar="PARK",
            help=help or "The park folder (or a store URL). Default: the bundled park.",
        )(func)

    return decorate


def _context() -> Context | None:
    ctx = click.get_current_context(silent=True)
    return ctx.find_object(Context) if ctx else None


def current_as_of() -> date | None:
    """The command's ``--as-of`` date, if given."""
    obj = _context()
    return obj.as_of if obj is not None else None


def current_store() -> str | None:
    """The command's ``--store`` URL, if given."""
    obj = _context()
    return obj.store if obj is not None else None


def load_park(path: Path | str | None = None, **options: Any) -> Any:
    """:func:`parkgis.io.loose.load_park` with the command's park options.

    ``--as-of``, ``--store`` and the loose-file options (:func:`loose_options`).
    """
    from parkgis.io.loose import load_park as _load_park

    return _load_park(
        path, as_of=current_as_of(), store=current_store(), **loose_options(), **options
    )


def loose_options() -> dict[str, Any]:
    """The command's ``--crs``, ``--encoding``, ``--id-field`` and ``--field`` values."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_object(Context) if ctx else None
    return dict(obj.loose) if obj is not None else {}


def engine_options(func: F) -> F:
    """``--engine local|dask``, ``--scheduler ADDRESS`` and ``--partitions N``.

    Kept on the :class:`Context`; :func:`parkgis.cli.engine.park_engine`
    computes the figures with them.
    """

    options = [
        click.option(
            "--engine",
            type=click.Choice(["local", "dask"]),
            default="local",
            show_default=True,
            expose_value=False,
            callback=_remember("engine"),
            help="Compute here, or on dask-geopandas partition by partition (pip install "
            "'parkgis[dask]').",
        ),
        click.option(
            "--scheduler",
            metavar="ADDRESS",
            expose_value=False,
            callback=_remember("scheduler"),
            help="With --engine dask: the dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a "
            "local cluster of 2 worker processes).",
        ),
        click.option(
            "--partitions",
            type=click.IntRange(min=1),
            expose_value=False,
            callback=_remember("partitions"),
            help="With --engine dask: spatial partitions of the parcels (default: 2 per worker).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def format_option(func: F) -> F:
    """``--format text|json|csv``."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="text",
        show_default=True,
        help="Output format: a table for people, JSON or CSV for other tools.",
    )(func)


def lang_option(func: F) -> F:
    """``--lang zh|en`` on a command (also accepted on the group)."""
    return click.option(
        "--lang",
        type=click.Choice(["zh", "en"]),
        default=None,
        help="Language of labels and headers (default: zh).",
    )(func)


def loose_file_options(func: F) -> F:
    """Options for reading a loose parcel file as a surveyor hands it over.

    ``--crs``, ``--encoding``, ``--id-field`` and ``--field`` are kept on the
    :class:`Context`; :func:`load_park` and :func:`loose_options` pass them on,
    so commands do not repeat them.
    """

    common = {"expose_value": False, "is_eager": False}
    options = [
        click.option("--crs", callback=_remember("loose.crs"), **common,
                     help="CRS of a file that has none, e.g. EPSG:4544."),
        click.option("--encoding", callback=_remember("loose.encoding"), **common,
                     help="Text encoding of a shapefile, e.g. GBK or UTF-8."),
        click.option("--id-field", callback=_remember("loose.id_field"), **common,
                     help="Column holding the parcel id (default: recognised by name)."),
        click.option("--field", "fields", multiple=True, metavar="FIELD=COLUMN",
                     callback=_remember("loose.fields", parse_field_options), **common,
                     help="Map a column to a field, e.g. --field acquisition_status=现状. "
                     "Repeatable."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def parse_field_options(values: Sequence[str]) -> dict[str, str]:
    """Turn ``("a=b", ...)`` into ``{"a": "b"}`` with a clear error."""
    out = {}
    for value in values:
        name, sep, column = value.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise click.BadParameter(
                f"{value!r}: write it as FIELD=COLUMN, e.g. acquisition_status=现状"
            )
        out[name.strip()] = column.strip()
    return out


def handle_errors(func: F) -> F:
    """Turn parkgis errors into a message and an exit status, not a traceback.

    Exit 2 when the input could not be read at all, 1 for other errors.
    ``parkgis --debug`` shows the traceback.
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ParkgisError, KeyError, OSError) as exc:
            ctx = click.get_current_context(silent=True)
            obj = ctx.find_object(Context) if ctx else None
            if obj is not None and obj.debug:
                raise
            text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            click.echo(f"parkgis: error: {text}", err=True)
            code = 2 if isinstance(exc, (InputError, OSError)) else 1
            raise SystemExit(code) from None

    return wrapper  # type: ignore[return-value]


def current_lang(lang: str | None = None) -> str:
    """The command's ``--lang``, else the group's, else ``PARKGIS_LANG``, else zh."""
    if lang:
        return lang
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_object(Context) if ctx else None
    if obj is not None and obj.lang:
        return obj.lang
    return os.environ.get("PARKGIS_LANG", "zh")


def to_jsonable(value: Any) -> Any:
    """Turn numpy/pandas values, NaN and dates into JSON-ready values."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [to_jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return to_jsonable(value.to_dict())
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return value.isoformat()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    return value


def emit(
    data: pd.DataFrame | Mapping[str, Any],
    fmt: str,
    *,
    title: str | None = None,
    lang: str | None = None,
    decimals: int = 2,
    file: Any = None,
) -> None:
    """Print a table (or a mapping of figures) as text, JSON or CSV.

    Text shows labels in ``lang`` and vocabulary codes as their labels; JSON
    and CSV keep canonical names and codes, for other tools.
    """
    out = file or sys.stdout
    if fmt == "json":
        out.write(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2) + "\n")
        return
    frame = _as_frame(data)
    if fmt == "csv":
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, lineterminator="\n")
        out.write(buffer.getvalue())
        return
    _print_table(frame, title=title, lang=current_lang(lang), decimals=decimals, file=out)


def _as_frame(data: pd.DataFrame | Mapping[str, Any]) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    rows = [{"figure": k, "value": v} for k, v in data.items() if not isinstance(v, (list, dict))]
    return pd.DataFrame(rows)


def _print_table(
    frame: pd.DataFrame, *, title: str | None, lang: str, decimals: int, file: Any
) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False, box=None)
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns}
    for column in frame.columns:
        table.add_column(
            field_label(str(column), lang), justify="right" if numeric[column] else "left"
        )
    for row in frame.itertuples(index=False):
        table.add_row(
            *[
                _cell(column, value, lang, decimals)
                for column, value in zip(frame.columns, row, strict=True)
            ]
        )
    Console(file=file, width=200 if not _is_tty(file) else None, soft_wrap=True).print(table)


def _cell(column: str, value: Any, lang: str, decimals: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    vocab = VOCABULARIES.get(str(column)) or VOCABULARIES.get(_VOCAB_COLUMNS.get(str(column), ""))
    if vocab is not None and isinstance(value, str) and value in vocab:
        return vocab.label(value, lang=lang)
    if isinstance(value, (float, np.floating)):
        text = f"{value:,.{decimals}f}"
        return text[1:] if text.startswith("-") and not text.strip("-0.,") else text
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


_VOCAB_COLUMNS = {
    "stage": "stage",
    "title_status": "title_status",
    "kind": "constraint_kind",
    "land_use": "land_use",
    "funding_status": "funding_status",
}


def _is_tty(file: Any) -> bool:
    return bool(getattr(file, "isatty", lambda: False)())
