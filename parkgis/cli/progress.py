"""Progress on the long steps of a command: a rich bar or spinner on stderr, only on a terminal.

The core never draws anything: a long function takes a ``progress``
callback, called with (done, total). A command opens :func:`progress_bar`
around the call and passes the hook it yields (``None`` when the output is
not a terminal, so pipes, files, CI logs and ``--format json`` stay clean).
A step that cannot count (reading files, rendering a map) gets a spinner
from :func:`progress_step`. Both write to stderr and disappear when done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["Hook", "Label", "progress_bar", "progress_step"]

Hook = Callable[[int, int], None]
"""A progress callback: called with (done, total)."""

Label = str | tuple[str, str]
"""What a step does: one text, or (Chinese, English) to show in the command's language."""


def _text(label: Label) -> str:
    if isinstance(label, str):
        return label
    from parkgis.cli.common import current_lang

    return label[0] if current_lang() == "zh" else label[1]


def _console() -> object | None:
    """rich's stderr console when stderr is a terminal, else None (stay quiet)."""
    from rich.console import Console

    console = Console(stderr=True)
    return console if console.is_terminal else None


@contextmanager
def progress_bar(label: Label, *, total: int, min_total: int = 0) -> Iterator[Hook | None]:
    """A bar for a step that counts (rows pushed, parcels measured); yields its hook.

    Parameters
    ----------
    label
        What the step does (:data:`Label`: ``("推送到数据库", "pushing")``).
    total
        How many things the step handles; the hook may correct it.
    min_total
        Below this many the step is quick: no bar.

    Yields
    ------
    Hook or None
        The callback to pass to the core, or None where no bar is shown.

    Examples
    --------
    >>> with progress_bar("测试", total=3) as hook:  # not a terminal: no bar
    ...     hook is None
    True
    """
    console = _console()
    if console is None or total < min_total:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(_text(label), total=total)

        def hook(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield hook


@contextmanager
def progress_step(label: Label) -> Iterator[None]:
    """A spinner for a step that cannot count (reading files, rendering a map, a briefing).

    Examples
    --------
    >>> with progress_step("读取"):  # not a terminal: nothing shown
    ...     pass
    """
    console = _console()
    if console is None:
        yield
        return
    with console.status(_text(label)):  # type: ignore[attr-defined]
        yield
