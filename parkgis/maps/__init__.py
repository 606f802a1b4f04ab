"""Interactive park maps: one self-contained HTML file, right on an intranet.

:func:`park_map` draws a park as a :class:`folium.Map`: parcels coloured by
acquisition status (or stage, title, land use, zone) from the vocabulary
colours, a legend with each class's parcel count and mu, constraints with
their setback corridors, reserve zones outlined, labels from a suitable zoom,
a summary panel, a layer control, fullscreen, measuring in metres and mu, a
minimap and a search by parcel or project name. :func:`save_map` writes it.

- **Offline by default.** Every script and stylesheet is inlined (from the
  ``folium-offline`` package), so the page makes no network request.
- **Basemaps** ``none`` (default), ``osm``, ``tianditu-vec``, ``tianditu-img``,
  ``gaode``, ``gaode-satellite`` or a URL template, several switchable.
  Tianditu needs a key (``TIANDITU_KEY`` or ``tianditu_key=``). With Gaode,
  the *displayed* overlays are shifted to GCJ-02 and the map says so.
- **User text is data, never markup or template**: names such as
  ``<img src=x onerror=alert(1)>`` or ``{{ 7*7 }}`` show exactly as written.
- **Deterministic**: the same park gives the same bytes.
- **Large parks**: from :data:`TILES_FROM` parcels on, parcels are drawn on
  canvas tiles from shared arcs (:mod:`parkgis.maps.topology`), simplified per
  zoom and hit-tested in the page; 100,000 parcels open in seconds and zoom
  and pan without redrawing every polygon.

Examples
--------
>>> from parkgis.sample import build_yuanba
>>> m = park_map(build_yuanba())
>>> type(m).__name__
'Map'
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parkgis.io.writing import atomic_path
from parkgis.maps.basemaps import (
    BASEMAPS,
    BasemapError,
    MapError,
    TiandituKeyError,
    resolve_basemaps,
)
from parkgis.maps.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from parkgis.maps.layers import map_payload
from parkgis.maps.render import ParkLayer, stabilise_ids
from parkgis.model.park import Park

if TYPE_CHECKING:
    import folium

__all__ = [
    "BASEMAPS",
    "TILES_FROM",
    "BasemapError",
    "MapError",
    "TiandituKeyError",
    "gcj02_to_wgs84",
    "map_html",
    "park_map",
    "resolve_basemaps",
    "save_map",
    "wgs84_to_gcj02",
]

_RENDERERS = ("auto", "canvas", "svg", "tiles")
TILES_FROM = 1_000
"""With ``renderer="auto"``, parks of this many parcels or more are drawn on tiles."""


def park_map(
    park: Park,
    *,
    color_by: str = "acquisition_status",
    basemap: str | Sequence[str] = "none",
    lang: str = "zh",
    include_private: bool = False,
    offline: bool | None = None,
    tianditu_key: str | None = None,
    fields: Sequence[str] | None = None,
    simplify_m: float = 0.0,
    renderer: str = "auto",
    notes: Sequence[str] = (),
    withheld: str | None = None,
    live: Mapping[str, Any] | None = None,
    zone_cache: MutableMapping[Any, Any] | None = None,
) -> folium.Map:
    """Draw a park as an interactive map.

    Parameters
    ----------
    park
        The park (e.g. from :func:`parkgis.read_park`). Never modified.
    color_by
        ``acquisition_status`` (default), ``stage``, ``title``, ``land_use`` or
        ``zone``.
    basemap
        ``none``, ``osm``, ``tianditu-vec``, ``tianditu-img``, ``gaode``,
        ``gaode-satellite``, an ``https://…/{z}/{x}/{y}…`` template, or several
        comma-separated (switchable in the layer control). GCJ-02 basemaps
        (Gaode) cannot be mixed with the others in one map.
    lang
        ``zh`` (default) or ``en``: every label, legend and popup field.
    include_private
        Show the manifest's private fields (land owners' data) in popups.
    offline
        Inline every script and stylesheet (the default, also with a web
        basemap: public CDNs are often blocked in China). False links them
        from public CDNs, for a smaller file.
    tianditu_key
        Tianditu browser key; by default the ``TIANDITU_KEY`` environment
        variable. It is written into the page (the browser needs it).
    fields
        Parcel fields shown in popups (default: name, id, zone, land use,
        area in mu, declared area, status, step, title, project, dates,
        notes — those the parcels have).
    simplify_m
        Draw a simplified copy (coverage-aware, tolerance in metres); areas
        are always measured on the full geometry.
    renderer
        ``auto`` (default): ``tiles`` from :data:`TILES_FROM` parcels on, else
        ``canvas``. ``canvas`` and ``svg`` draw one Leaflet polygon per parcel
        (on one canvas, or as SVG paths); ``tiles`` draws parcels and reserve
        zones on canvas tiles from a shared-arc encoding, with per-zoom
        simplification and its own hit-testing (for thousands of parcels and
        more).
    notes, withheld
        Statements for the legend, and why the "available" figure is not
        given: see :func:`~parkgis.maps.layers.map_payload`. ``parkgis map``
        passes its park's reading (:mod:`parkgis.check.reading`).
    live, zone_cache
        For a map served by ``parkgis serve``, which follows the park's
        changes in place: see :func:`~parkgis.maps.layers.map_payload`.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map`; in a notebook it displays itself.

    Raises
    ------
    MapError
        For an unknown ``color_by``, field, language or renderer, or a
        private field asked for without ``include_private``.
    BasemapError, TiandituKeyError
        For an unusable basemap, or a Tianditu basemap without a key.
    """
    import folium

    if renderer not in _RENDERERS:
        raise MapError(
            f"renderer {renderer!r} is not known; use {', '.join(_RENDERERS)}",
            zh=f"未知的渲染方式 {renderer!r}；请使用 {'、'.join(_RENDERERS)} 之一",
        )
    if renderer == "auto":
        drawn = int((~(park.parcels.geometry.isna() | park.parcels.geometry.is_empty)).sum())
        renderer = "tiles" if drawn >= TILES_FROM else "canvas"
    basemaps = resolve_basemaps(basemap, tianditu_key=tianditu_key, environ=os.environ)
    payload = map_payload(
        park,
        color_by=color_by,
        lang=lang,
        include_private=include_private,
        basemaps=basemaps,
        fields=fields,
        simplify_m=simplify_m,
        tiled=renderer == "tiles",
        notes=notes,
        withheld=withheld,
        live=live,
        zone_cache=zone_cache,
    )
    payload["renderer"] = renderer
    (south, west), (north, east) = payload["bounds"]
    # Tiles show as soon as they are drawn (no 0.2 s fade-in).
    extra = {"fade_animation": False} if renderer == "tiles" else {}
    m = folium.Map(
        location=[round((south + north) / 2, 6), round((west + east) / 2, 6)],
        zoom_start=15,
        tiles=None,
        control_scale=False,
        **extra,
    )
    # parkgis writes its own asset list (inlined or linked): none of folium's
    # default CDN links (Leaflet, jQuery, Bootstrap, Font Awesome).
    m.default_js = []
    m.default_css = []
    layer = ParkLayer(payload, offline=True if offline is None else offline)
    m.add_child(layer)
    stabilise_ids(m.get_root(), seed=layer.digest)
    return m


def map_html(m: folium.Map, *, offline: bool | None = None) -> str:
    """The complete HTML page of a map, as :func:`save_map` writes it.

    Parameters
    ----------
    offline
        Override the map's own setting: True inlines every asset, False
        links them from CDNs, None keeps what :func:`park_map` was given.
    """
    layers = [e for e in _elements(m) if isinstance(e, ParkLayer)]
    if offline is not None:
        if not layers and offline:
            raise MapError(
                "only maps made by parkgis.park_map can be written offline",
                zh="只有 parkgis.park_map 生成的地图才能写成离线地图",
            )
        for layer in layers:
            layer.offline = offline
    if layers:
        stabilise_ids(m.get_root(), seed=layers[0].digest)
    return m.get_root().render()


def save_map(m: folium.Map, path: str | os.PathLike[str], *, offline: bool | None = None) -> Path:
    """Write a map as one HTML file, atomically.

    Parameters
    ----------
    m
        A map from :func:`park_map`.
    path
        The file to write; its folder is created if needed.
    offline
        True inlines every asset, False links them from CDNs; None (default)
        keeps the map's setting, which is offline unless ``park_map`` was
        told otherwise.

    Returns
    -------
    Path
        The file written.
    """
    target = Path(path)
    text = map_html(m, offline=offline)
    with atomic_path(target) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return target


def _elements(m: folium.Map):  # type: ignore[no-untyped-def]
    stack = [m.get_root()]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node._children.values())
