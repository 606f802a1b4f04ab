"""The third national land survey's layers (三调), found and read for ``parkgis landuse``.

Land-use patches (``DLTB``), permanent basic farmland (``YJJBNTTB``) and the
ecological red line come as layers of an Esri FileGDB (``三调.gdb:DLTB``), a
GeoPackage or loose files, or are kept in the park's own GeoPackage under
one of the names of :data:`LAYER_NAMES`. Given a FileGDB or GeoPackage
without a layer, the layer named so is taken, and the farmland and red-line
layers beside it too when they are not given: every such choice is a
decision. A feature that cannot be read refuses the layer: land missed
under a parcel would be a figure wrong without a word.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from parkgis.errors import InputError

__all__ = ["LAYER_NAMES", "SurveyLayers", "read_survey_layers"]

LAYER_NAMES: dict[str, tuple[str, ...]] = {
    "landuse": ("DLTB", "landuse", "地类图斑"),
    "farmland": ("YJJBNTTB", "farmland", "永久基本农田", "JBNTBHTB"),
    "redline": ("STBHHX", "eco_redline", "redline", "生态保护红线", "STHX"),
}
"""Layer names (case-insensitive) taken for each kind, in order of preference."""

_WHAT = {
    "landuse": ("land-use (DLTB)", "地类图斑（DLTB）"),
    "farmland": ("permanent basic farmland", "永久基本农田"),
    "redline": ("ecological red line", "生态保护红线"),
}


@dataclass
class SurveyLayers:
    """The layers found, and how each was found."""

    landuse: gpd.GeoDataFrame | None = None
    farmland: gpd.GeoDataFrame | None = None
    redline: gpd.GeoDataFrame | None = None
    decisions: list[str] = field(default_factory=list)


def read_survey_layers(
    landuse: str | Path | None = None,
    *,
    farmland: str | Path | None = None,
    redline: str | Path | None = None,
    park: str | Path | None = None,
    crs: str | None = None,
    required: bool = True,
) -> SurveyLayers:
    """Read the land-use, farmland and red-line layers given, or found in the park.

    Parameters
    ----------
    landuse, farmland, redline
        ``PATH[:LAYER]`` of each (``--landuse``, ``--farmland``, ``--redline``).
    park
        The park folder, whose GeoPackage may keep them (layers named as
        :data:`LAYER_NAMES` says).
    crs
        The CRS of layers that declare none.
    required
        Refuse when no land-use layer is given or found.

    Raises
    ------
    InputError
        When no land-use layer is given or found (and ``required``), or a
        layer cannot be read.
    DataError
        When a feature of a layer cannot be read.
    """
    from parkgis.io.loose import split_layer

    out = SurveyLayers()
    specs = {"landuse": landuse, "farmland": farmland, "redline": redline}
    found: dict[str, tuple[Path, str | None]] = {}
    for kind, spec in specs.items():
        if spec is None:
            continue
        path, layer = split_layer(spec)
        if layer is None:
            layer = _named_layer(path, kind)
        found[kind] = (path, layer)
    if "landuse" in found:
        container = found["landuse"][0]
        for kind in ("farmland", "redline"):
            if kind not in found and _multi_layer(container):
                layer = _named_layer(container, kind, quiet=True)
                if layer is not None:
                    found[kind] = (container, layer)
                    out.decisions.append(
                        f"{_WHAT[kind][0]}: layer {layer!r} of {container}, beside the land use"
                    )
    elif park is not None:
        gpkg = _park_gpkg(Path(park))
        if gpkg is not None:
            for kind in specs:
                if kind in found:
                    continue
                layer = _named_layer(gpkg, kind, quiet=True)
                if layer is not None:
                    found[kind] = (gpkg, layer)
                    out.decisions.append(f"{_WHAT[kind][0]}: layer {layer!r} kept in the park")
    if "landuse" not in found and required:
        msg = (
            "no land-use layer: give the 三调 land-use patches with --landuse PATH[:LAYER] (e.g. "
            "--landuse 三调.gdb:DLTB), or keep them in the park's GeoPackage as a layer named "
            "DLTB or landuse"
        )
        zh = (
            "没有地类图斑图层：请用 --landuse 路径[:图层] 给出三调地类图斑（例如 --landuse "
            "三调.gdb:DLTB），或将其以 DLTB 或 landuse 为图层名存入园区的 GeoPackage"
        )
        raise InputError(msg, zh=zh)
    for kind, (path, layer) in found.items():
        frame, decisions = _read(path, layer, kind, crs)
        setattr(out, kind, frame)
        out.decisions += [f"{_WHAT[kind][0]}: {d}" for d in decisions]
    return out


def _multi_layer(path: Path) -> bool:
    return path.suffix.lower() in {".gdb", ".gpkg"}


def _layers(path: Path) -> list[str]:
    import pyogrio

    try:
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:
        raise InputError(
            f"{path}: cannot be read ({exc})", zh=f"{path}：无法读取（{exc}）"
        ) from None


def _named_layer(path: Path, kind: str, *, quiet: bool = False) -> str | None:
    """The layer of ``path`` named like ``kind``, when ``path`` holds several."""
    if not _multi_layer(path):
        return None
    names = _layers(path)
    lowered = {n.lower(): n for n in names}
    for wanted in LAYER_NAMES[kind]:
        if wanted.lower() in lowered:
            return lowered[wanted.lower()]
    if quiet or len(names) <= 1:
        return None
    what, what_zh = _WHAT[kind]
    msg = (
        f"{path}: no layer named {' or '.join(LAYER_NAMES[kind][:2])} for the {what}; its layers "
        f"are {', '.join(names)}: choose one as {path}:{names[0]}"
    )
    zh = (
        f"{path}：没有名为 {' 或 '.join(LAYER_NAMES[kind][:2])} 的{what_zh}图层；已有图层："
        f"{', '.join(names)}；请写成 {path}:{names[0]} 选择"
    )
    raise InputError(msg, zh=zh)


def _park_gpkg(folder: Path) -> Path | None:
    """The GeoPackage that holds a park's layers: the park file itself, or a folder's."""
    from parkgis.io.store import is_park_file, is_park_folder, read_manifest

    if is_park_file(folder):
        return folder
    if not is_park_folder(folder):
        return None
    _, files = read_manifest(folder)
    gpkg = folder / files["layers"]
    return gpkg if gpkg.is_file() else None


def _read(
    path: Path, layer: str | None, kind: str, crs: str | None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    from parkgis.io.loose import read_complete_layer

    what, what_zh = _WHAT[kind]
    read = read_complete_layer(
        path, layer=layer, crs=crs, what=f"{what} feature(s)", what_zh=f"{what_zh}要素",
        missed=", and the land under them would be missed", missed_zh="，其下的土地会被漏算",
    )  # fmt: skip
    frame = read.frame
    said = [d for d in read.decisions if not d.startswith("no id field found")]
    return frame, [f"{read.source}, {len(frame)} feature(s)", *said]
