"""How parkgis writes files: whole or not at all, never the bundled park, and a record of it.

Every file parkgis writes appears complete or not at all (:func:`atomic_path`:
a temporary file beside the target, synced, then renamed onto it, with Ctrl-C
and SIGTERM held back during the rename); what this process has written is
listed (:func:`written_paths`), so the command line can say truthfully on
Ctrl-C whether anything was; the bundled sample park is never written
(:func:`check_writable`). The park stores (:mod:`parkgis.io.store`,
:mod:`parkgis.io.gpkg`) and every writer of outputs build on these.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from parkgis.errors import InputError

__all__ = [
    "atomic_path",
    "bundled_park_path",
    "check_writable",
    "forget_written",
    "fsync_dir",
    "record_written",
    "signals_held",
    "written_paths",
]

_WRITTEN: list[Path] = []  # what this process has written, in order: see written_paths()


def written_paths() -> tuple[Path, ...]:
    """Every file and park folder this process has written so far, in order.

    A file counts once it replaced its target (:func:`atomic_path`), a park
    folder once its commit happened (:func:`write_park`, :func:`create_park`).
    The command line reads it on Ctrl-C, to say truthfully whether anything
    was written.
    """
    return tuple(_WRITTEN)


def record_written(path: Path) -> None:
    """List ``path`` as written by this process (see :func:`written_paths`)."""
    _WRITTEN.append(path)


def forget_written(mark: int) -> None:
    """Unlist what was listed after the first ``mark`` paths (a write undone)."""
    del _WRITTEN[mark:]


def bundled_park_path() -> Path:
    """The bundled Yuanba park (a GeoPackage) in a source checkout."""
    return Path(__file__).resolve().parents[2] / "data" / "parcels" / "yuanba.gpkg"


def check_writable(folder: str | os.PathLike[str]) -> Path:
    """Refuse to write into the bundled sample park; return the folder as a Path.

    Raises
    ------
    InputError
        When ``folder`` is the bundled Yuanba park, saying how to copy it.
    """
    path = Path(folder)
    if path.resolve() == bundled_park_path().resolve():
        msg = (
            f"{path} is the bundled sample park, which is never changed in place; copy it "
            f"first ('parkgis copy -o mypark.gpkg') and change the copy"
        )
        zh = (
            f"{path} 是随附的示例园区，不能直接修改；请先复制一份（'parkgis copy -o "
            f"mypark.gpkg'），再修改副本"
        )
        raise InputError(msg, zh=zh)
    return path


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) and SIGTERM back during a short step that must finish.

    A signal that arrives meanwhile is delivered when the block ends. Only in
    the main thread of a POSIX process; elsewhere the block runs as is.
    """
    import signal
    import threading

    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not (
        threading.main_thread()
    ):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextmanager
def atomic_path(target: Path, *, record_as: Path | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    The temporary file is removed if the block raises, so ``target`` is
    either as before or completely replaced. A replaced ``target`` (or
    ``record_as`` in its place) is listed by :func:`written_paths`.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        with signals_held():
            os.replace(tmp, target)
            _WRITTEN.append(record_as or target)
        fsync_dir(target.parent)
    finally:
        if tmp.exists():
            tmp.unlink()


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
