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

import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
import numpy as np
import pandas as pd

from parkgis.errors import InputError, MissingDependencyError, ParkgisError
from parkgis.io.postgis import is_store_url
from parkgis.model.schema import field_label
from parkgis.model.vocab import VOCABULARIES

__all__ = [
    "FORMATS",
    "PARK",
    "SOURCE",
    "Context",
    "ParkParam",
    "ParkgisGroup",
    "current_as_of",
    "current_store",
    "emit",
    "engine_options",
    "failure_message",
    "format_option",
    "handle_errors",
    "interrupted_message",
    "lang_option",
    "load_park",
    "loose_file_options",
    "park_argument",
    "park_option",
    "parse_day",
    "safety_net",
    "table_for_tools",
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
        # --crs, --override-crs, --swap-axes, --layer, --encoding, --id-field, --field
        self.loose: dict[str, Any] = {}
        self.strict = False  # --strict: any error of the park stops the command


class ParkParam(click.ParamType):
    """A park: an existing folder or file, ``FILE:LAYER`` (a Path), or a store URL (text).

    A path that exists as written is taken whole (``C:\\parks\\a.gpkg``);
    otherwise ``FILE:LAYER`` names a layer of an existing file
    (:func:`parkgis.io.loose.split_layer` splits it when the park is read).
    """

    name = "park"

    def convert(self, value: Any, param: Any, ctx: Any) -> Path | str:
        if isinstance(value, Path) or (isinstance(value, str) and not is_store_url(value)):
            from parkgis.io.loose import split_layer

            try:
                split_layer(value)
            except InputError:
                self.fail(
                    f"{value}: no such park folder or file (a layer of a file is FILE:LAYER; "
                    "a store is postgresql://…)",
                    param,
                    ctx,
                )
            return Path(value)
        return str(value)


class SourceParam(ParkParam):
    """A loose file or folder to import, or ``FILE:LAYER`` (not a store)."""

    name = "source"

    def convert(self, value: Any, param: Any, ctx: Any) -> Path | str:
        if isinstance(value, str) and is_store_url(value):
            self.fail(
                f"{value}: a store cannot be imported from; give files or folders", param, ctx
            )
        return super().convert(value, param, ctx)


PARK = ParkParam()
SOURCE = SourceParam()


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
            "--strict",
            is_flag=True,
            default=None,
            expose_value=False,
            callback=_remember("strict"),
            help="Stop at any error of the park, also those the figures can go on with "
            "(a repaired geometry, a parcel left out).",
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
    """The command's loose-file options (``--crs``, ``--layer`` ...), as given."""
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
        callback=_keep_lang,
        help="Language of labels and headers (default: zh).",
    )(func)


def _keep_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Keep a command's ``--lang`` on the :class:`Context` too, for its messages."""
    if value is not None:
        ctx.ensure_object(Context).lang = value
    return value


def loose_file_options(func: F) -> F:
    """Options for reading a loose parcel file as a surveyor hands it over.

    ``--crs``, ``--override-crs``, ``--swap-axes``, ``--layer``, ``--encoding``,
    ``--id-field`` and ``--field`` are kept on the :class:`Context`;
    :func:`load_park` and :func:`loose_options` pass them on, so commands do
    not repeat them.
    """

    common = {"expose_value": False, "is_eager": False}
    options = [
        click.option("--crs", callback=_remember("loose.crs"), **common,
                     help="CRS of a file that has none, e.g. EPSG:4544. A file's own CRS is "
                     "replaced only with --override-crs."),
        click.option("--override-crs", is_flag=True, default=None,
                     callback=_remember("loose.override_crs"), **common,
                     help="Take --crs instead of the CRS the file declares (coordinates are "
                     "not reprojected)."),
        click.option("--swap-axes", is_flag=True, default=None,
                     callback=_remember("loose.swap_axes"), **common,
                     help="Swap x and y of every coordinate: files written latitude first, or "
                     "surveyors' X (northing) first."),
        click.option("--layer", callback=_remember("loose.layer"), **common,
                     help="The layer of a multi-layer file (GeoPackage, folder of shapefiles); "
                     "the same as FILE:LAYER."),
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
    """Run a command inside :func:`safety_net`: a message and an exit status, not a traceback.

    Every command run by the ``parkgis`` group is already inside the net
    (:class:`ParkgisGroup`); this decorator also covers a command invoked on
    its own.
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with safety_net():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


_PASS_THROUGH = (
    click.ClickException,  # click shows usage errors itself (exit 2)
    click.exceptions.Exit,
    click.exceptions.Abort,
    SystemExit,
    BrokenPipeError,  # output piped into `head`: click exits quietly
)


@contextmanager
def safety_net(ctx: click.Context | None = None) -> Iterator[None]:
    """Turn every failure inside the block into one line on stderr and an exit status.

    - a :class:`~parkgis.errors.ParkgisError` prints ``err.text(lang)``: exit 2
      when the input could not be read (:class:`~parkgis.errors.InputError`),
      else 1; an ``OSError`` (a file that cannot be read or written) exits 2,
      a ``KeyError`` 1;
    - Ctrl-C prints one line saying truthfully whether anything was written
      (:func:`interrupted_message`) and exits 130;
    - anything else is a defect of parkgis: ``parkgis: internal error: …`` and
      exit 3, asking for ``--debug`` and a report.

    Click's own errors (usage, ``--help``, exit) pass through to click. With
    ``parkgis --debug`` every error but Ctrl-C is raised, with its traceback.
    A library may turn the KeyboardInterrupt of a Ctrl-C into an error of its
    own (numpy does, inside a comparison): the net notes the signal itself, so
    that such an error is reported as the interruption it is.
    """
    from parkgis.io.writing import written_paths

    mark = len(written_paths())
    with _noting_interrupts() as interrupted:
        try:
            yield
        except _PASS_THROUGH:
            raise
        except (KeyboardInterrupt, Exception) as exc:
            if isinstance(exc, KeyboardInterrupt) or interrupted:
                line = interrupted_message(written_paths()[mark:], _net_lang(ctx))
                click.echo(line, err=True)
                raise SystemExit(130) from None
            obj = _net_context(ctx)
            if obj is not None and obj.debug:
                raise
            message, code = failure_message(exc, _net_lang(ctx))
            click.echo(message, err=True)
            raise SystemExit(code) from None


@contextmanager
def _noting_interrupts() -> Iterator[list[bool]]:
    """Yield a list that gets an entry when SIGINT arrives; SIGINT still raises
    KeyboardInterrupt. Where SIGINT is ignored, or off the main thread, nothing changes."""
    import signal
    import threading

    noted: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        yield noted
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous in (signal.SIG_IGN, None):
        yield noted
        return

    def note(signum: int, frame: Any) -> None:
        noted.append(True)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, note)
    try:
        yield noted
    finally:
        signal.signal(signal.SIGINT, previous)


class ParkgisGroup(click.Group):
    """A click group whose every command runs inside :func:`safety_net`.

    Structural, so that no command can forget it: the net covers parsing the
    command's options (a park that cannot be opened, a callback that fails)
    and running it, for the commands of nested groups too.
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        with safety_net():
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with safety_net(ctx):
            return super().invoke(ctx)


def failure_message(exc: BaseException, lang: str) -> tuple[str, int]:
    """The one line printed for an error, and the exit status.

    Examples
    --------
    >>> from parkgis.errors import InputError
    >>> failure_message(InputError("a.shp: no .dbf", zh="a.shp: 缺少 .dbf"), "zh")
    ('parkgis: 错误: a.shp: 缺少 .dbf', 2)
    >>> failure_message(ZeroDivisionError("division by zero"), "en")[1]
    3
    """
    prefix = "parkgis: 错误: " if lang == "zh" else "parkgis: error: "
    if isinstance(exc, ParkgisError):
        unreadable = isinstance(exc, (InputError, MissingDependencyError))
        return prefix + exc.text(lang), 2 if unreadable else 1
    if isinstance(exc, OSError):
        return prefix + _os_error_text(exc, lang), 2
    if isinstance(exc, KeyError):
        return prefix + str(exc.args[0] if exc.args else exc), 1
    what = " ".join(f"{type(exc).__name__}: {exc}".split())
    if lang == "zh":
        return f"parkgis: 内部错误: {what} — 请加 --debug 重新运行查看详情并报告此问题", 3
    return (
        f"parkgis: internal error: {what} — run again with --debug for the traceback, "
        f"and report it",
        3,
    )


def _os_error_text(exc: OSError, lang: str) -> str:
    reason = exc.strerror or str(exc)
    if exc.filename is None:
        return reason
    where = str(exc.filename) + (f" → {exc.filename2}" if exc.filename2 else "")
    if lang == "zh":
        return f"无法读写 {where}: {reason}; 请检查路径和权限"
    return f"cannot read or write {where}: {reason}; check the path and its permissions"


def interrupted_message(written: Sequence[Path] = (), lang: str = "zh") -> str:
    """The line printed on Ctrl-C: nothing was written, or what already was.

    Examples
    --------
    >>> interrupted_message((), "en")
    'parkgis: interrupted; nothing was written'
    >>> from pathlib import Path
    >>> interrupted_message([Path("a.html")], "zh")
    'parkgis: 已中断；中断前已写入: a.html'
    """
    from parkgis.cli import NOTHING_WRITTEN

    if not written:
        return NOTHING_WRITTEN[lang]
    names = ", ".join(str(p) for p in written[:3])
    if lang == "zh":
        more = f" 等 {len(written)} 项" if len(written) > 3 else ""
        return f"parkgis: 已中断；中断前已写入: {names}{more}"
    more = f" and {len(written) - 3} more" if len(written) > 3 else ""
    return f"parkgis: interrupted; already written: {names}{more}"


def _net_context(ctx: click.Context | None) -> Context | None:
    ctx = ctx or click.get_current_context(silent=True)
    return ctx.find_object(Context) if ctx else None


def _net_lang(ctx: click.Context | None) -> str:
    obj = _net_context(ctx)
    if obj is not None and obj.lang in ("zh", "en"):
        return obj.lang
    return current_lang()


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
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # most values: as they are
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is dict:
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if kind is list:
        return [to_jsonable(v) for v in value]
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


_INDENTED_UP_TO = 20_000  # characters: larger documents are written compactly


def json_text(data: Any) -> str:
    """JSON of ``data`` (JSON-ready): indented for a person, compact once it is large.

    Python's JSON encoder is several times slower with indentation; a document
    of thousands of parcels is read by tools, not people.

    Examples
    --------
    >>> print(json_text({"a": 1}))
    {
      "a": 1
    }
    >>> len(json_text({"ids": list(range(10_000))}).splitlines())
    1
    """
    text = json.dumps(data, ensure_ascii=False, separators=(", ", ": "))
    if len(text) > _INDENTED_UP_TO:
        return text
    return json.dumps(data, ensure_ascii=False, indent=2)


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

    Text and CSV are for people and Excel: headers are the fields' labels in
    ``lang`` (Chinese by default, ``--lang en`` English: ``面积(亩)`` /
    ``Area (mu)``) and vocabulary codes are written as their labels
    (``已征收`` / ``Acquired``). CSV is UTF-8 with a BOM (``utf-8-sig``), so
    that Excel on a Chinese Windows opens it right, on the terminal as in a
    file. JSON is for tools: canonical field names and codes, as the Python
    API gives them.

    Parameters
    ----------
    data
        A table, or figures ``{name: value}`` (printed as figure/value rows).
    fmt
        ``text``, ``json`` or ``csv``.
    title, decimals
        Of the text table.
    lang
        ``zh`` or ``en``; default: the command's ``--lang``.
    file
        A text stream to write to instead of standard output (CSV keeps its
        BOM as the character U+FEFF there).
    """
    out = file or sys.stdout
    if fmt == "json":
        out.write(json_text(to_jsonable(data)) + "\n")
        return
    frame = _as_frame(data)
    if fmt == "csv":
        text = table_for_tools(frame, current_lang(lang)).to_csv(index=False, lineterminator="\n")
        _write_utf8_sig(text, out)
        return
    _print_table(frame, title=title, lang=current_lang(lang), decimals=decimals, file=out)


def table_for_tools(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A table as CSV and Excel show it: headers as labels, codes as labels, in ``lang``.

    Numbers and dates are kept as they are (not formatted as text).

    Examples
    --------
    >>> frame = pd.DataFrame({"acquisition_status": ["acquired"], "area_mu": [15.0]})
    >>> table_for_tools(frame, "zh").to_dict("records")
    [{'征收状态': '已征收', '面积(亩)': 15.0}]
    """
    columns = {i: _labels_of(frame.iloc[:, i], column, lang) for i, column in enumerate(frame)}
    out = pd.DataFrame(columns, index=frame.index)
    out.columns = [field_label(str(column), lang) for column in frame.columns]
    return out


def _labels_of(values: pd.Series, column: Any, lang: str) -> pd.Series:
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        return values.map(lambda v: _code_label(column, v, lang))
    return values


def _code_label(column: Any, value: Any, lang: str) -> Any:
    """A vocabulary code of ``column`` as its label in ``lang``; a figure's name as its label."""
    if not isinstance(value, str):
        return value
    if str(column) == "figure":
        return field_label(value, lang)
    vocab = VOCABULARIES.get(str(column)) or VOCABULARIES.get(_VOCAB_COLUMNS.get(str(column), ""))
    if vocab is not None and value in vocab:
        return vocab.label(value, lang=lang)
    return value


def _write_utf8_sig(text: str, out: Any) -> None:
    """Write CSV text with a UTF-8 BOM: as bytes where ``out`` has them (a terminal, a
    pipe), so that the console's own encoding cannot mangle it."""
    raw = getattr(out, "buffer", None)
    if raw is None:
        out.write("\ufeff" + text)
        return
    out.flush()
    raw.write(text.encode("utf-8-sig"))
    raw.flush()


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
    if isinstance(value, str):
        return str(_code_label(column, value, lang))
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
