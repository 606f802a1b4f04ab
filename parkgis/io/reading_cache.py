"""The folder where the geometry checks of parks read before are remembered.

Every command checks the geometry of the park it reads (:mod:`parkgis.check`);
on a county-sized park that is seconds each time. :class:`ReadingCache` keeps
the result of each check in a file named by the digest of its inputs
(:func:`parkgis.check.memo.geometry_key`) and of the code that checks — the
source of :mod:`parkgis.check`, :mod:`parkgis.measure` and
:mod:`parkgis.model`, and the versions of GEOS, PROJ, shapely, pyproj and
numpy — so a result is taken again only for byte-identical geometry checked by
identical code. Any change to a vertex, an id, a land use, a declared area,
the CRS or the thresholds is another key; an entry that cannot be read is a
miss. Old entries beyond :data:`KEEP` are removed, least recently used first.

The folder is ``$PARKGIS_CACHE_DIR`` if set (``off`` or an empty value: no
cache), else ``$XDG_CACHE_HOME/parkgis/readings`` (``~/.cache`` by default;
``%LOCALAPPDATA%`` on Windows). Entries are pickles written by this user into
a folder only this user may read, and read back allowing only the classes they
hold (numpy arrays, problems), so even a planted entry cannot run code;
``parkgis cache clear`` empties it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

from parkgis.check.memo import Remembered

__all__ = ["KEEP", "ReadingCache", "cache_folder", "default_cache"]

KEEP = 24
"""Entries kept: about the parks and their versions a planner reads in a week."""

_ENV = "PARKGIS_CACHE_DIR"
_OFF = {"", "0", "off", "no", "none", "false"}


class ReadingCache:
    """Remembered geometry checks in ``folder`` (a :class:`~parkgis.check.memo.GeometryMemo`).

    Parameters
    ----------
    folder
        Where the entries are kept; made (private to the user) on the first write.
    keep
        How many entries to keep.
    """

    def __init__(self, folder: str | os.PathLike[str], *, keep: int = KEEP) -> None:
        self.folder = Path(folder)
        self.keep = keep

    def get(self, key: str) -> Remembered | None:
        """The check remembered under ``key``, or None (also for an unreadable entry)."""
        path = self._path(key)
        try:
            with open(path, "rb") as handle:
                value = _Unpickler(handle).load()
        except FileNotFoundError:
            return None
        except Exception:  # a truncated or foreign entry is a miss, and goes
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        if not isinstance(value, Remembered):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept longest
        return value

    def put(self, key: str, value: Remembered) -> None:
        """Remember ``value`` under ``key``; a folder that cannot be written is no error."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".pkl")
            try:
                with os.fdopen(fd, "wb") as handle:
                    pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self._path(key))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            self._prune()
        except OSError:
            return

    def clear(self) -> int:
        """Remove every entry; return how many there were."""
        entries = self.entries()
        for path in entries:
            with contextlib.suppress(OSError):
                path.unlink()
        return len(entries)

    def entries(self) -> list[Path]:
        """The entries, least recently used first."""
        try:
            found = [p for p in self.folder.glob("*.pkl") if not p.name.startswith(".")]
        except OSError:
            return []
        return sorted(found, key=_mtime)

    def _path(self, key: str) -> Path:
        return self.folder / f"{code_version()[:16]}-{key}.pkl"

    def _prune(self) -> None:
        entries = self.entries()
        for path in entries[: max(0, len(entries) - self.keep)]:
            with contextlib.suppress(OSError):
                path.unlink()


_ALLOWED = {
    ("parkgis.check.memo", "Remembered"),
    ("parkgis.check.problems", "Problem"),
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.multiarray", "scalar"),
}


class _Unpickler(pickle.Unpickler):
    """Reads back only what :meth:`ReadingCache.put` writes: a file naming any other
    class or function is refused (a miss), so an entry cannot run code when read."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not what parkgis remembers")
        return super().find_class(module, name)


def cache_folder() -> Path | None:
    """The cache folder of this user, or None when ``PARKGIS_CACHE_DIR`` turns it off."""
    chosen = os.environ.get(_ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in _OFF else Path(chosen)
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "parkgis" / "readings"


def default_cache() -> ReadingCache | None:
    """The user's :class:`ReadingCache`, or None when it is turned off."""
    folder = cache_folder()
    return None if folder is None else ReadingCache(folder)


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the code a geometry check depends on (sources and library versions)."""
    import numpy
    import pyproj
    import shapely

    digest = hashlib.blake2b(digest_size=16)
    root = Path(__file__).resolve().parents[1]
    for package in ("check", "measure", "model"):
        for path in sorted((root / package).glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    for version in (
        shapely.__version__,
        shapely.geos_version_string,
        pyproj.__version__,
        pyproj.proj_version_str,
        numpy.__version__,
    ):
        digest.update(str(version).encode())
    return digest.hexdigest()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
