"""The park folder: the embedded default store.

A park is one folder::

    park.toml          manifest: name, title, private fields, files, settings
    park.gpkg          layers "parcels" and "constraints" (GeoPackage)
    projects.csv       project table (UTF-8 with BOM, so Excel opens it)
    targets.csv        annual targets and actuals
    allocations.csv    project ↔ parcel allocations, in mu
    constraints.toml   optional: the park's own constraint setbacks (see
                       parkgis/model/constraints.toml), read into
                       ``manifest.settings["constraint_rules"]``

Every file is written to a temporary file beside it and renamed into place,
so no write leaves a file half-written.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import tomli_w

from parkgis.errors import CRSMissingError, InputError
from parkgis.model.park import Manifest, Park, empty_layer, empty_table
from parkgis.model.schema import TABLES, ValueIssue

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "DEFAULT_FILES",
    "MANIFEST",
    "atomic_path",
    "bundled_park_path",
    "is_park_folder",
    "read_constraint_rules",
    "read_manifest",
    "read_park",
    "write_park",
]

MANIFEST = "park.toml"
DEFAULT_FILES = {
    "layers": "park.gpkg",
    "projects": "projects.csv",
    "targets": "targets.csv",
    "allocations": "allocations.csv",
}
_TABLES = ("projects", "targets", "allocations")
RULES_FILE = "constraints.toml"
_RULES_KEY = "constraint_rules"


def bundled_park_path() -> Path:
    """The folder of the bundled Yuanba park in a source checkout."""
    return Path(__file__).resolve().parents[2] / "data" / "parcels" / "yuanba"


def is_park_folder(path: Path) -> bool:
    """Whether ``path`` is a park folder (holds a ``park.toml``)."""
    return path.is_dir() and (path / MANIFEST).is_file()


def read_manifest(folder: Path) -> tuple[Manifest, dict[str, str]]:
    """Read ``park.toml``: the manifest and the file names of each table."""
    path = folder / MANIFEST
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        msg = f"{folder}: not a park folder (no {MANIFEST}); create one with 'parkgis import'"
        raise InputError(msg) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc}); fix the file") from None
    files = {**DEFAULT_FILES, **data.pop("files", {})}
    manifest = Manifest(
        name=str(data.pop("name", folder.name)),
        title=str(data.pop("title", "")),
        private_fields=tuple(data.pop("private_fields", ())),
        settings=data,
    )
    return manifest, files


def read_park(folder: str | os.PathLike[str] | None = None) -> Park:
    """Read a park folder; with none, the bundled Yuanba park.

    Values are normalised (vocabulary terms to codes, written areas to mu);
    those that cannot be understood are kept as written and listed in
    ``park.value_issues`` for :func:`parkgis.validate.find_problems`.

    Raises
    ------
    InputError
        When the folder or one of its files cannot be read at all.
    """
    if folder is None:
        path = bundled_park_path()
        if not is_park_folder(path):  # installed without the source tree
            from parkgis.sample import build_yuanba

            return build_yuanba()
    else:
        path = Path(folder)
    manifest, files = read_manifest(path)
    rules = read_constraint_rules(path)
    if rules:
        manifest = replace(manifest, settings={**manifest.settings, _RULES_KEY: rules})
    issues: list[ValueIssue] = []
    layers = path / files["layers"]
    parcels = _normalised(_read_layer(layers, "parcels", manifest), "parcels", issues)
    constraints = (
        _normalised(_read_layer(layers, "constraints", manifest), "constraints", issues)
        if _has_layer(layers, "constraints")
        else empty_layer(parcels.crs or "EPSG:4490")
    )
    tables = {}
    for table in _TABLES:
        file = path / files[table]
        frame = _read_csv(file) if file.is_file() else empty_table(table)
        tables[table] = _normalised(frame, table, issues)
    return Park(
        manifest=manifest,
        parcels=parcels,
        constraints=constraints,
        value_issues=tuple(issues),
        **tables,
    )


def write_park(park: Park, folder: str | os.PathLike[str]) -> Path:
    """Write ``park`` as a park folder, each file atomically.

    Returns
    -------
    Path
        The folder written.
    """
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    files = dict(DEFAULT_FILES)
    with atomic_path(path / files["layers"]) as tmp:
        _write_layer(park.parcels, tmp, "parcels")
        if len(park.constraints):
            _write_layer(park.constraints, tmp, "constraints")
    for table in _TABLES:
        frame: pd.DataFrame = getattr(park, table)
        with atomic_path(path / files[table]) as tmp:
            frame.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
    manifest: dict[str, Any] = {"name": park.manifest.name}
    if park.manifest.title:
        manifest["title"] = park.manifest.title
    manifest["private_fields"] = list(park.manifest.private_fields)
    manifest.update(park.manifest.settings)
    rules = manifest.pop(_RULES_KEY, None)
    if rules:
        with atomic_path(path / RULES_FILE) as tmp:
            tmp.write_text(tomli_w.dumps(rules), "utf-8")
    manifest["files"] = files
    with atomic_path(path / MANIFEST) as tmp:
        tmp.write_text(tomli_w.dumps(manifest), "utf-8")
    return path


def read_constraint_rules(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a park folder's ``constraints.toml``: its own setbacks ({} when it has none).

    Raises
    ------
    InputError
        When the file is not valid TOML.
    """
    path = Path(folder) / RULES_FILE
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid UTF-8 TOML ({exc}); fix the file") from None


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    The temporary file is removed if the block raises, so ``target`` is
    either as before or completely replaced.
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
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        if tmp.exists():
            tmp.unlink()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _has_layer(path: Path, layer: str) -> bool:
    try:
        return layer in {name for name, _ in pyogrio.list_layers(path)}
    except Exception as exc:
        raise InputError(f"{path}: cannot be read as a GeoPackage ({exc})") from None


def _read_layer(path: Path, layer: str, manifest: Manifest) -> gpd.GeoDataFrame:
    if not _has_layer(path, layer):
        raise InputError(f"{path}: has no layer {layer!r}; a park needs a parcels layer")
    frame = pyogrio.read_dataframe(path, layer=layer, use_arrow=True)
    override = manifest.settings.get("crs")
    if frame.crs is None:
        if override is None:
            msg = (
                f"{path} layer {layer!r} has no CRS; set 'crs = \"EPSG:4490\"' (or the survey's "
                f"CRS, e.g. EPSG:4544) in {MANIFEST}"
            )
            raise CRSMissingError(msg)
        frame = frame.set_crs(override)
    return frame


def _write_layer(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    if frame.crs is None:
        raise CRSMissingError(f"layer {layer!r} has no CRS; set one before writing the park")
    out = frame.copy()
    for column in out.columns:
        if column != out.geometry.name and out[column].dtype == object:
            out[column] = out[column].astype("string")
    pyogrio.write_dataframe(out, path, layer=layer, driver="GPKG", append=path.exists())


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
        )
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(
            f"{path}: cannot be read as UTF-8 CSV ({exc}); re-save it as UTF-8"
        ) from None


def _normalised(frame: pd.DataFrame, table: str, issues: list[ValueIssue]) -> Any:
    schema = TABLES[table]
    out, found = schema.normalise(frame)
    issues.extend(found)
    return out
