"""The ``parkgis`` command line: one short function per command over the library."""

from __future__ import annotations

import click

from parkgis.cli.common import Context

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of labels, legends and headers.",
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
    from parkgis.cli import brief, core, db, land, maps, status

    for module in (core, land, maps, brief, status, db):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    """Entry point of the ``parkgis`` console script."""
    cli(prog_name="parkgis")
