"""The ``parkgis`` command line: one short function per command over the library.

Every command runs inside one safety net (:class:`parkgis.cli.common.ParkgisGroup`):
an error is one line on stderr and an exit status (2: the input could not be
read, 1: other errors, 3: a defect of parkgis, 130: Ctrl-C), never a Python
traceback unless ``parkgis --debug`` asks for it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import TracebackType

__all__ = ["NOTHING_WRITTEN", "cli", "main"]

NOTHING_WRITTEN = {
    "zh": "parkgis: 已中断，未写入任何内容",
    "en": "parkgis: interrupted; nothing was written",
}
"""The line printed on Ctrl-C before anything was written, by language."""


def _is_console_run() -> bool:
    """Whether this process is the ``parkgis`` console script or ``python -m parkgis``."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name == "parkgis.__main__":
        return True
    script = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return script in {"parkgis", "parkgis.exe", "parkgis-script.py"}


def _uncaught(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """Ctrl-C outside a command (while the program loads): one line, no traceback."""
    if not issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    common = sys.modules.get("parkgis.cli.common")
    describe = getattr(common, "interrupted_message", None)
    writing = sys.modules.get("parkgis.io.writing")
    written = getattr(writing, "written_paths", tuple)()
    lang = "en" if "en" in sys.argv[1:3] else "zh"
    line = describe(written, lang) if describe is not None else NOTHING_WRITTEN[lang]
    sys.stderr.write(line + "\n")


if _is_console_run() and sys.excepthook is sys.__excepthook__:
    sys.excepthook = _uncaught

import click  # noqa: E402 - after the hook: Ctrl-C while these load is one line too

from parkgis.cli.common import Context, ParkgisGroup  # noqa: E402


@click.group(cls=ParkgisGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of labels, legends, headers and messages.",
)
@click.version_option(package_name="parkgis")
@click.pass_context
def cli(ctx: click.Context, debug: bool, lang: str) -> None:
    """parkgis: the land of an industrial park — parcels, status, figures, maps, briefings.

    Every command takes a park folder, a single parcel file or a PostGIS store
    (postgresql://…?park=NAME, or --store URL); with none it uses the bundled
    Yuanba park. --as-of DATE shows the park as it was on that date.
    """
    ctx.obj = Context(debug=debug, lang=lang)


def _register() -> None:
    from parkgis.cli import (
        brief,
        cache,
        core,
        db,
        export,
        land,
        landuse,
        maps,
        reshape,
        serve,
        status,
    )

    for module in (core, land, landuse, maps, brief, status, reshape, db, export, serve, cache):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    """Entry point of the ``parkgis`` console script."""
    cli(prog_name="parkgis")
