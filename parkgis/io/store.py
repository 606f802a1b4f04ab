"""The embedded park store: one GeoPackage file, or a park folder of earlier versions.

A park is one GeoPackage file (``park.gpkg``, see :mod:`parkgis.io.gpkg`):
every change one SQLite transaction. The functions here take either that
file or a park folder written by earlier versions of parkgis, which is read
as before but never changed: :func:`record_park_changes`,
:func:`rewrite_park` and :func:`create_park` refuse a folder and name the
way out (``parkgis copy FOLDER NEW.gpkg``). :func:`write_park` still writes
the folder form (for tests of the folder reader and the Dask engine's
spill); a ``.gpkg`` path gets a GeoPackage.

An older park folder::

    park.toml          manifest: name, title, private fields, files, settings
    park.gpkg          layers "parcels" and "constraints" (GeoPackage)
    projects.csv       project table (UTF-8 with BOM, so Excel opens it)
    targets.csv        annual targets and actuals
    allocations.csv    project ↔ parcel allocations, in mu
    constraints.toml   optional: the park's own constraint setbacks (see
                       parkgis/model/constraints.toml), read into
                       ``manifest.settings["constraint_rules"]``
    events.csv         optional: the status history, append-only (see
                       :mod:`parkgis.model.history`)

Writes are atomic, file by file and as a whole. Every file is written to a
temporary file beside it (``.parkgis-tmp-*``) and fsynced; then a commit
file (``.parkgis-commit.json``) listing the renames is written atomically —
that is the moment the write happens — and the renames are carried out and
the commit file removed. A write killed before the commit file exists leaves
the park as before; one killed after it is finished by the next writer, and
until then readers take the temporary files the commit file names: the park
reads as after. Writers hold an exclusive lock (``flock`` on the folder
itself) for the whole read-modify-write, readers a shared one, so two
processes recording changes lose nothing. (Without ``fcntl``, on Windows,
there is no lock: one writer at a time.)

Status changes (:func:`record_park_changes`) append to ``events.csv`` — the
old bytes unchanged, the new rows after them — and update ``park.gpkg`` or
``projects.csv`` in the same commit: the log and the current state never
disagree.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import tomli_w

from parkgis.errors import CRSMissingError, InputError
from parkgis.io.writing import (
    atomic_path,
    bundled_park_path,
    check_writable,
    forget_written,
    fsync_dir,
    record_written,
    signals_held,
    written_paths,
)
from parkgis.model.history import Event, StatusChange, events_frame, park_as_of, read_events_frame
from parkgis.model.history import record_changes as _record_changes
from parkgis.model.park import EVENT_COLUMNS, Manifest, Park, empty_events, empty_layer, empty_table
from parkgis.model.schema import TABLES, ValueIssue

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# atomic_path, bundled_park_path, check_writable and written_paths are those of
# parkgis.io.writing, named here too as the store's own API.
__all__ = [
    "DEFAULT_FILES",
    "MANIFEST",
    "atomic_path",
    "bundled_park_path",
    "check_writable",
    "create_park",
    "folder_write_error",
    "is_park",
    "is_park_file",
    "is_park_folder",
    "park_lock",
    "read_constraint_rules",
    "read_manifest",
    "read_park",
    "record_park_changes",
    "rewrite_park",
    "write_park",
    "written_paths",
]

MANIFEST = "park.toml"
DEFAULT_FILES = {
    "layers": "park.gpkg",
    "projects": "projects.csv",
    "targets": "targets.csv",
    "allocations": "allocations.csv",
    "events": "events.csv",
}
_TABLES = ("projects", "targets", "allocations")
RULES_FILE = "constraints.toml"
_RULES_KEY = "constraint_rules"
_JOURNAL = ".parkgis-commit.json"
_TMP_PREFIX = ".parkgis-tmp-"
_NEW_PREFIX = ".parkgis-new-"


def is_park_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a park folder of earlier versions (holds a ``park.toml``)."""
    path = Path(path)
    return path.is_dir() and (path / MANIFEST).is_file()


def is_park_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a park GeoPackage (a ``.gpkg`` with a ``park`` table)."""
    from parkgis.io.gpkg import is_park_file as _is_park_file

    return _is_park_file(path)


def is_park(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a park: a park GeoPackage or an older park folder."""
    return is_park_folder(path) or is_park_file(path)


def _is_gpkg(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() == ".gpkg" and not Path(path).is_dir()


def folder_write_error(folder: Path) -> InputError:
    """A write into a park folder: refused, with the way out."""
    new = folder.with_name(f"{folder.name}.gpkg")
    msg = (
        f"{folder} is a park folder of an earlier parkgis version, which is read but no longer "
        f"changed; convert it once to a park GeoPackage, with its history: 'parkgis copy "
        f"{folder} -o {new}', and change that"
    )
    zh = (
        f"{folder} 是旧版 parkgis 的园区文件夹，只能读取，不再修改；请先将其（连同历史记录）转换为"
        f"园区 GeoPackage：'parkgis copy {folder} -o {new}'，再修改该文件"
    )
    return InputError(msg, zh=zh)


def read_manifest(folder: Path, file: Path | None = None) -> tuple[Manifest, dict[str, str]]:
    """Read ``park.toml`` (or ``file`` in its place): the manifest and each table's file."""
    path = folder / MANIFEST
    try:
        data = tomllib.loads((file or path).read_text("utf-8"))
    except FileNotFoundError:
        msg = f"{folder}: not a park folder (no {MANIFEST}); create one with 'parkgis import'"
        zh = f"{folder}：不是园区文件夹（没有 {MANIFEST}）；请用 'parkgis import' 创建"
        raise InputError(msg, zh=zh) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path}: not valid TOML ({exc}); correct it in a text editor, saved as UTF-8 (each "
            f'setting is a line such as title = "元坝工业园区")',
            zh=f"{path}: 不是有效的 UTF-8 TOML 文件 ({exc}); 请用文本编辑器改正 (每项设置一行, "
            f'如 title = "元坝工业园区")',
        ) from None
    files = {**DEFAULT_FILES, **data.pop("files", {})}
    manifest = Manifest(
        name=str(data.pop("name", folder.name)),
        title=str(data.pop("title", "")),
        private_fields=tuple(data.pop("private_fields", ())),
        settings=data,
    )
    return manifest, files


def read_park(
    folder: str | os.PathLike[str] | None = None,
    *,
    as_of: dt.date | None = None,
    private: bool = False,
) -> Park:
    """Read a park GeoPackage or an older park folder; with none, the bundled Yuanba park.

    Values are normalised (vocabulary terms to codes, written areas to mu);
    those that cannot be understood are kept as written and listed in
    ``park.value_issues`` for :func:`parkgis.check.problems.find_problems`.

    Parameters
    ----------
    folder
        The park (a ``.gpkg`` file, or a folder), or None for the bundled park.
    as_of
        Give the park as it was on this date, by its event log
        (:func:`parkgis.model.history.park_as_of`).
    private
        For a GeoPackage: join the parcels' private fields back in (they are
        kept in their own table); a folder holds them in its parcels layer.

    Raises
    ------
    InputError
        When the folder or one of its files cannot be read at all.
    DataError
        When the event log cannot be read (it names the row).
    """
    if folder is None:
        path = bundled_park_path()
        if not path.is_file():  # installed without the source tree
            from parkgis.sample import build_yuanba

            park = build_yuanba()
            return park_as_of(park, as_of) if as_of is not None else park
    else:
        path = Path(folder)
    if _is_gpkg(path):
        from parkgis.io import gpkg

        return gpkg.read_park(path, as_of=as_of, private=private)
    with park_lock(path, exclusive=False):
        park = _read_unlocked(path, _committed(path))
    return park_as_of(park, as_of) if as_of is not None else park


def write_park(park: Park, folder: str | os.PathLike[str]) -> Path:
    """Write ``park`` as a park GeoPackage (a ``.gpkg`` path) or a park folder, atomically.

    A ``.gpkg`` path: :func:`parkgis.io.gpkg.create_park`. Otherwise the
    park folder form of earlier versions, as described below.

    Every file is staged beside its target and the whole set committed at
    once (see the module's notes): a write killed at any moment leaves the
    folder as before or as after. The event log is written when the park
    has one (``events.csv``); an existing log is removed when it has none.

    Returns
    -------
    Path
        The folder written.
    """
    path = Path(folder)
    if _is_gpkg(path):
        from parkgis.io import gpkg

        return gpkg.create_park(park, path)
    path.mkdir(parents=True, exist_ok=True)
    with park_lock(path, exclusive=True):
        _recover(path)
        staging = _Staging(path)
        try:
            _stage_park(park, staging)
            staging.commit()
        finally:
            staging.discard()
    return path


def create_park(park: Park, folder: str | os.PathLike[str]) -> Path:
    """Write ``park`` as a new park GeoPackage that appears only when complete.

    The file is built beside ``folder`` (a ``.gpkg`` path) and renamed onto
    it (:func:`parkgis.io.gpkg.create_park`). Any other path is refused: a
    park is one GeoPackage file. (What follows is the folder form, kept for
    :func:`_create_folder`.)

    The park is written into a hidden folder beside ``folder``
    (``.parkgis-new-*``) and renamed to ``folder`` at the end: a write that
    fails or is interrupted (Ctrl-C) leaves no folder behind, nor the parent
    folders it had to create. Where ``folder`` exists already (an empty
    folder, a park to overwrite), this is :func:`write_park`, which leaves it
    as before or as after.

    Returns
    -------
    Path
        The folder written.
    """
    path = Path(folder)
    if not _is_gpkg(path):
        msg = (
            f"{path}: a park is one GeoPackage file; give a name ending in .gpkg "
            f"(e.g. -o {path.name}.gpkg)"
        )
        zh = (
            f"{path}：园区是一个 GeoPackage 文件；请给出以 .gpkg 结尾的文件名"
            f"（如 -o {path.name}.gpkg）"
        )
        raise InputError(msg, zh=zh)
    from parkgis.io import gpkg

    return gpkg.create_park(park, path)


def _create_folder(park: Park, folder: str | os.PathLike[str]) -> Path:
    """Write ``park`` as a new park folder that appears only when complete (earlier form)."""
    path = Path(folder)
    if path.exists():
        return write_park(park, path)
    made = _missing_parents(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mark = len(written_paths())
    staging: Path | None = None
    done = False
    try:
        staging = path.parent / f"{_NEW_PREFIX}{path.name}.{uuid.uuid4().hex[:12]}"
        staging.mkdir()  # with the usual permissions (mkdtemp's would be 0700)
        write_park(park, staging)
        with signals_held():
            os.rename(staging, path)
            forget_written(mark)
            record_written(path)
            done = True
        fsync_dir(path.parent)
    except BaseException:
        if not done:
            with signals_held():
                if staging is not None:
                    shutil.rmtree(staging, ignore_errors=True)
                forget_written(mark)
                for parent in made:
                    with contextlib.suppress(OSError):
                        parent.rmdir()  # only if still empty
        raise
    return path


def _missing_parents(path: Path) -> list[Path]:
    """The parents of ``path`` that do not exist yet, deepest first."""
    return [p for p in path.parents if not p.exists()]


def record_park_changes(
    folder: str | os.PathLike[str], changes: Sequence[StatusChange], *, recorded_at: str
) -> tuple[Event, ...]:
    """Check and record status changes in a park; return the events appended.

    A park GeoPackage: one SQLite transaction
    (:func:`parkgis.io.gpkg.record_park_changes`). A park folder is refused
    (convert it with ``parkgis copy``); what follows is kept for the record.
    Under the folder's exclusive lock: read the park, check each change
    against the current value (:func:`parkgis.model.history.record_changes`),
    append the events to ``events.csv`` and write the changed table, in one
    commit. All the changes are recorded, or none.

    Raises
    ------
    InputError
        For the bundled sample park (copy it first) or a folder that is not a park.
    DataError, VocabularyError
        For a change that cannot be recorded (see :func:`parkgis.model.history.make_event`).
    """
    path = check_writable(folder)
    if _is_gpkg(path):
        from parkgis.io import gpkg

        return gpkg.record_park_changes(path, changes, recorded_at=recorded_at)
    if is_park_folder(path):
        raise folder_write_error(path)
    return _record_folder(path, changes, recorded_at=recorded_at)


def _record_folder(
    path: Path, changes: Sequence[StatusChange], *, recorded_at: str
) -> tuple[Event, ...]:
    """Record changes in a park folder (earlier form; the public functions refuse folders)."""
    with park_lock(path, exclusive=True):
        _recover(path)  # an unfinished write is finished: the files are the park
        park = _read_unlocked(path, {})
        new, events = _record_changes(park, changes, recorded_at=recorded_at)
        if not events:
            return events
        _, names = read_manifest(path)
        staging = _Staging(path)
        try:
            _stage_events(staging, names["events"], path / names["events"], events)
            if any(e.entity == "parcel" for e in events):
                with staging.path(names["layers"]) as tmp:
                    _write_layer(new.parcels, tmp, "parcels")
                    if len(new.constraints):
                        _write_layer(new.constraints, tmp, "constraints")
            if any(e.entity == "project" for e in events):
                with staging.path(names["projects"]) as tmp:
                    _write_csv(new.projects, tmp)
            staging.commit()
        finally:
            staging.discard()
    return events


def rewrite_park(folder: str | os.PathLike[str], build: Callable[[Park], Park]) -> Park:
    """Read a park, build a new park from it, and write that, in one transaction.

    ``build`` gets the park as stored (with its log) and returns the park to
    write; nobody can change the park in between. Returns the park written.
    A park GeoPackage: :func:`parkgis.io.gpkg.rewrite_park` (only the
    differences are written, in one SQLite transaction). A park folder is
    refused: convert it with ``parkgis copy``.

    Raises
    ------
    InputError
        For the bundled sample park or a folder that is not a park.
    """
    path = check_writable(folder)
    if _is_gpkg(path):
        from parkgis.io import gpkg

        return gpkg.rewrite_park(path, build)
    if is_park_folder(path):
        raise folder_write_error(path)
    with park_lock(path, exclusive=True):
        _recover(path)
        new = build(_read_unlocked(path, {}))
        staging = _Staging(path)
        try:
            _stage_park(new, staging)
            staging.commit()
        finally:
            staging.discard()
    return new


@contextmanager
def park_lock(folder: Path, *, exclusive: bool) -> Iterator[None]:
    """Hold a lock on a park folder: exclusive for writers, shared for readers.

    The lock is ``flock`` on the folder itself (no lock file); it is released
    when the process ends, however it ends. Where ``fcntl`` is missing
    (Windows) or the folder cannot be opened, no lock is taken.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield  # not a folder, or not ours to open: the reader says what is wrong
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _read_unlocked(path: Path, files: dict[str, Path | None]) -> Park:
    manifest, names = read_manifest(path, files.get(MANIFEST))
    rules = read_constraint_rules(path, files.get(RULES_FILE))
    if rules:
        manifest = replace(manifest, settings={**manifest.settings, _RULES_KEY: rules})
    issues: list[ValueIssue] = []
    _check_named_files(path, names, files)
    layers = _resolved(files, path, names["layers"])
    shown = path / names["layers"]
    parcels = _normalised(_read_layer(layers, "parcels", manifest, shown), "parcels", issues)
    constraints = (
        _normalised(_read_layer(layers, "constraints", manifest, shown), "constraints", issues)
        if _has_layer(layers, "constraints", shown)
        else empty_layer(parcels.crs or "EPSG:4490")
    )
    tables = {}
    for table in _TABLES:
        file = _resolved(files, path, names[table])
        frame = _read_csv(file, path / names[table]) if file.is_file() else empty_table(table)
        tables[table] = _normalised(frame, table, issues)
    log = _resolved(files, path, names["events"])
    events = (
        read_events_frame(_read_csv(log, path / names["events"]), where=str(path / names["events"]))
        if log.is_file()
        else empty_events()
    )
    return Park(
        manifest=manifest,
        parcels=parcels,
        constraints=constraints,
        events=events,
        value_issues=tuple(issues),
        **tables,
    )


def _check_named_files(folder: Path, names: dict[str, str], files: dict[str, Path | None]) -> None:
    """Refuse a park.toml that names a file the folder does not hold.

    The default names (``park.gpkg``, ``projects.csv`` ...) may be absent, but
    for the layers, which a park cannot do without: an empty table or no log.
    """
    for key, name in names.items():
        if key not in DEFAULT_FILES or _resolved(files, folder, name).exists():
            continue
        if key != "layers" and name == DEFAULT_FILES[key]:
            continue
        raise InputError(
            f"{folder / MANIFEST} names {key} = {name!r}, which is not in {folder}; put the "
            f"file there, or correct the name under [files] in {MANIFEST}",
            zh=f"{folder / MANIFEST} 指定 {key} = {name!r}, 但 {folder} 中没有这个文件; 请放入"
            f"该文件, 或改正 {MANIFEST} 中 [files] 下的文件名",
        )


def _stage_park(park: Park, staging: _Staging) -> None:
    files = dict(DEFAULT_FILES)
    with staging.path(files["layers"]) as tmp:
        _write_layer(park.parcels, tmp, "parcels")
        if len(park.constraints):
            _write_layer(park.constraints, tmp, "constraints")
    for table in _TABLES:
        with staging.path(files[table]) as tmp:
            _write_csv(getattr(park, table), tmp)
    if len(park.events):
        with staging.path(files["events"]) as tmp:
            _write_csv(park.events[list(EVENT_COLUMNS)], tmp)
    else:
        staging.delete(files["events"])
    manifest: dict[str, Any] = {"name": park.manifest.name}
    if park.manifest.title:
        manifest["title"] = park.manifest.title
    manifest["private_fields"] = list(park.manifest.private_fields)
    manifest.update(park.manifest.settings)
    rules = manifest.pop(_RULES_KEY, None)
    if rules:
        with staging.path(RULES_FILE) as tmp:
            tmp.write_text(tomli_w.dumps(rules), "utf-8")
    manifest["files"] = files
    with staging.path(MANIFEST) as tmp:
        tmp.write_text(tomli_w.dumps(manifest), "utf-8")


def _stage_events(staging: _Staging, name: str, current: Path, events: Sequence[Event]) -> None:
    """Stage the log: its old bytes unchanged, then the new rows."""
    old = current.read_bytes() if current.is_file() else b""
    rows = events_frame(events)[list(EVENT_COLUMNS)]
    text = rows.to_csv(index=False, header=not old, lineterminator="\n")
    with staging.path(name) as tmp:
        if old and not old.endswith(b"\n"):
            old += b"\n"
        tmp.write_bytes((old or "\ufeff".encode()) + text.encode("utf-8"))


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


class _Staging:
    """Files staged beside their targets, committed together (see the module's notes)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.entries: list[tuple[str | None, str]] = []  # (temporary name or None, target)

    @contextmanager
    def path(self, name: str) -> Iterator[Path]:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f"{_TMP_PREFIX}{Path(name).stem}.", suffix=Path(name).suffix, dir=self.folder
        )
        os.close(fd)
        tmp = Path(tmp_name)
        tmp.unlink()  # writers such as GDAL want to create the file themselves
        self.entries.append((tmp.name, name))
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())

    def delete(self, name: str) -> None:
        if (self.folder / name).exists():
            self.entries.append((None, name))

    def commit(self) -> None:
        journal = self.folder / _JOURNAL
        # Once the commit file exists the park reads as after: it is written.
        with atomic_path(journal, record_as=self.folder) as tmp:
            tmp.write_text(json.dumps({"renames": self.entries}), "utf-8")
        _apply(self.folder, self.entries)
        journal.unlink()
        fsync_dir(self.folder)
        self.entries = []

    def discard(self) -> None:
        for tmp, _ in self.entries:
            if tmp is not None:
                (self.folder / tmp).unlink(missing_ok=True)
        self.entries = []


def _journal_entries(folder: Path) -> list[tuple[str | None, str]] | None:
    journal = folder / _JOURNAL
    try:
        data = json.loads(journal.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        msg = f"{journal}: an unfinished write's commit file cannot be read ({exc})"
        zh = f"{journal}：一次未完成写入的提交记录文件无法读取（{exc}）"
        raise InputError(msg, zh=zh) from None
    return [(tmp, target) for tmp, target in data["renames"]]


def _committed(folder: Path) -> dict[str, Path | None]:
    """The files a reader takes for the names an unfinished commit replaces."""
    entries = _journal_entries(folder)
    out: dict[str, Path | None] = {}
    for tmp, target in entries or ():
        if tmp is None:
            out[target] = None
        elif (folder / tmp).exists():
            out[target] = folder / tmp
    return out


def _resolved(files: dict[str, Path | None], folder: Path, name: str) -> Path:
    if name in files:
        found = files[name]
        return found if found is not None else folder / f"{_TMP_PREFIX}deleted-{name}"
    return folder / name


def _recover(folder: Path) -> None:
    """Finish a write that was committed but not completed; remove staged leftovers."""
    entries = _journal_entries(folder)
    if entries is not None:
        _apply(folder, entries)
        (folder / _JOURNAL).unlink()
    for leftover in folder.glob(f"{_TMP_PREFIX}*"):
        leftover.unlink(missing_ok=True)
    for leftover in folder.glob(f".{_JOURNAL}.*"):
        leftover.unlink(missing_ok=True)
    fsync_dir(folder)


def _apply(folder: Path, entries: list[tuple[str | None, str]]) -> None:
    for tmp, target in entries:
        if tmp is None:
            (folder / target).unlink(missing_ok=True)
        elif (folder / tmp).exists():
            os.replace(folder / tmp, folder / target)


def read_constraint_rules(
    folder: str | os.PathLike[str], file: Path | None = None
) -> dict[str, Any]:
    """Read a park folder's ``constraints.toml``: its own setbacks ({} when it has none).

    Raises
    ------
    InputError
        When the file is not valid TOML.
    """
    path = Path(folder) / RULES_FILE
    source = file or path
    if not source.is_file():
        return {}
    try:
        return tomllib.loads(source.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path}: not valid UTF-8 TOML ({exc}); fix the file",
            zh=f"{path}：不是有效的 UTF-8 TOML 文件（{exc}）；请改正该文件",
        ) from None


def _has_layer(path: Path, layer: str, shown: Path | None = None) -> bool:
    try:
        return layer in {name for name, _ in pyogrio.list_layers(path)}
    except Exception as exc:
        raise InputError(
            f"{shown or path}: cannot be read as a GeoPackage ({exc})",
            zh=f"{shown or path}：无法作为 GeoPackage 读取（{exc}）",
        ) from None


def _read_layer(
    path: Path, layer: str, manifest: Manifest, shown: Path | None = None
) -> gpd.GeoDataFrame:
    shown = shown or path
    if not _has_layer(path, layer, shown):
        found = ", ".join(repr(name) for name, _ in pyogrio.list_layers(path)) or "none"
        raise InputError(
            f"{shown}: has no layer {layer!r} (its layers: {found}); a park needs its parcels "
            f"in a layer named 'parcels': rename the layer (e.g. in QGIS), or build the park "
            f"again with 'parkgis import PARCELFILE -o PARK'",
            zh=f"{shown}: 没有名为 {layer!r} 的图层 (现有图层: {found}); 园区的地块须在名为 "
            f"'parcels' 的图层中: 请重命名该图层 (如在 QGIS 中), 或用 'parkgis import 地块文件 -o "
            f"园区目录' 重新生成园区",
        )
    frame = pyogrio.read_dataframe(path, layer=layer, use_arrow=True)
    override = manifest.settings.get("crs")
    if frame.crs is None:
        if override is None:
            msg = (
                f"{shown} layer {layer!r} has no CRS; set 'crs = \"EPSG:4490\"' (or the survey's "
                f"CRS, e.g. EPSG:4544) in {MANIFEST}"
            )
            zh = (
                f"{shown} 的图层 {layer!r} 没有坐标参考系（CRS）；请在 {MANIFEST} 中写上 "
                f"'crs = \"EPSG:4490\"'（或测量成果的坐标系，如 EPSG:4544）"
            )
            raise CRSMissingError(msg, zh=zh)
        frame = frame.set_crs(override)
    return frame


def _write_layer(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    if frame.crs is None:
        raise CRSMissingError(
            f"layer {layer!r} has no CRS; set one before writing the park",
            zh=f"图层 {layer!r} 没有坐标参考系（CRS）；请先指定，再写出园区",
        )
    out = frame.copy()
    for column in out.columns:
        if column != out.geometry.name and out[column].dtype == object:
            out[column] = out[column].astype("string")
    pyogrio.write_dataframe(out, path, layer=layer, driver="GPKG", append=path.exists())


def _read_csv(path: Path, shown: Path | None = None) -> pd.DataFrame:
    try:
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
        )
    except pd.errors.EmptyDataError:
        raise InputError(
            f"{shown or path}: the file is empty (not even a header row); restore it from a "
            f"backup, or write the header row alone for an empty table",
            zh=f"{shown or path}: 文件为空 (连标题行都没有); 请从备份恢复; 如表中确无数据, "
            f"请只写入标题行",
        ) from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(
            f"{shown or path}: cannot be read as UTF-8 CSV ({exc}); restore it from a backup, "
            f"or, if it was edited by hand, save it again as CSV UTF-8",
            zh=f"{shown or path}: 无法按 UTF-8 CSV 读取 ({exc}); 请从备份恢复, 如曾手工编辑, 请"
            f"重新另存为 CSV UTF-8 格式",
        ) from None


def _normalised(frame: pd.DataFrame, table: str, issues: list[ValueIssue]) -> Any:
    schema = TABLES[table]
    out, found = schema.normalise(frame)
    issues.extend(found)
    return out
