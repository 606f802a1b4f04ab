"""The JavaScript and CSS a parkgis map needs, inlined or linked.

A map needs Leaflet and four plugins (fullscreen, minimap, measure, search),
plus parkgis's own script and stylesheet. Offline (the default) every file
is written into the HTML, so the page makes no network request at all: on a
government intranet, or where public CDNs are blocked, it still renders.

The third-party files are package data of parkgis, unchanged, in
``static/vendor/`` (written once by ``scripts/vendor_assets.py`` from the
very files folium links from CDNs; ``static/vendor/SHA256SUMS`` lists them
with their hashes and URLs). Their licence notices
(``static/THIRD_PARTY_NOTICES.txt``) are written into every offline map
beside them. Online, the same files are linked at those URLs.

CSS ``url()`` references that point at files which are not embedded (a
loading GIF, a minimap toggle image) are replaced by ``none``, so the
browser does not even try ``file://`` requests.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from parkgis.maps.basemaps import MapError

__all__ = [
    "ASSETS",
    "Asset",
    "asset_tags",
    "asset_text",
    "notices",
    "own_css",
    "own_js",
]


@dataclass(frozen=True)
class Asset:
    """One third-party file a map needs.

    Attributes
    ----------
    name
        Short name, e.g. ``leaflet.js``.
    kind
        ``js`` or ``css``.
    url
        The CDN URL folium uses, where an online map links the file.
    project, version, licence
        What it is and under which licence (see THIRD_PARTY_NOTICES.txt).
    """

    name: str
    kind: str
    url: str
    project: str
    version: str
    licence: str


_JSD = "https://cdn.jsdelivr.net"
_CDNJS = "https://cdnjs.cloudflare.com/ajax/libs"
ASSETS: tuple[Asset, ...] = (
    Asset(
        "leaflet.css",
        "css",
        f"{_JSD}/npm/leaflet@1.9.3/dist/leaflet.css",
        "Leaflet",
        "1.9.3",
        "BSD-2-Clause",
    ),
    Asset(
        "fullscreen.css",
        "css",
        f"{_JSD}/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css",
        "Leaflet.fullscreen",
        "3.0.0",
        "MIT",
    ),
    Asset(
        "minimap.css",
        "css",
        f"{_CDNJS}/leaflet-minimap/3.6.1/Control.MiniMap.css",
        "Leaflet-MiniMap",
        "3.6.1",
        "BSD-2-Clause",
    ),
    Asset(
        "measure.css",
        "css",
        f"{_JSD}/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.css",
        "leaflet-measure",
        "2.1.7",
        "MIT",
    ),
    Asset(
        "search.css",
        "css",
        f"{_JSD}/npm/leaflet-search@2.9.7/dist/leaflet-search.min.css",
        "Leaflet Control Search",
        "2.9.7",
        "MIT",
    ),
    Asset(
        "leaflet.js",
        "js",
        f"{_JSD}/npm/leaflet@1.9.3/dist/leaflet.js",
        "Leaflet",
        "1.9.3",
        "BSD-2-Clause",
    ),
    Asset(
        "fullscreen.js",
        "js",
        f"{_JSD}/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js",
        "Leaflet.fullscreen",
        "3.0.0",
        "MIT",
    ),
    Asset(
        "minimap.js",
        "js",
        f"{_CDNJS}/leaflet-minimap/3.6.1/Control.MiniMap.js",
        "Leaflet-MiniMap",
        "3.6.1",
        "BSD-2-Clause",
    ),
    Asset(
        "measure.js",
        "js",
        f"{_JSD}/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js",
        "leaflet-measure",
        "2.1.7",
        "MIT",
    ),
    Asset(
        "search.js",
        "js",
        f"{_JSD}/npm/leaflet-search@2.9.7/dist/leaflet-search.min.js",
        "Leaflet Control Search",
        "2.9.7",
        "MIT",
    ),
)
"""The third-party files, in the order they are written into the page."""

# url(...) that is neither a data: URI nor a fragment (#default#VML).
_FOREIGN_URL = re.compile(r"url\(\s*(?![\"']?(?:data:|#))[^)]*\)")
_CLOSERS = {"js": re.compile(r"</script", re.I), "css": re.compile(r"</style", re.I)}
_OWN_SCRIPTS = ("parkgis-map.js", "parkgis-tiles.js")


@functools.cache
def asset_text(name: str) -> str:
    """The text of a third-party file, from parkgis's ``static/vendor/``.

    Raises
    ------
    MapError
        When the file is missing from the installed parkgis (a broken install).
    """
    asset = _asset(name)
    try:
        data = resources.files("parkgis.maps").joinpath("static", "vendor", asset.name).read_bytes()
    except OSError:  # pragma: no cover - package data of parkgis
        msg = (
            f"{asset.project} {asset.version} ({asset.name}) is missing from parkgis's package "
            f"data (parkgis/maps/static/vendor); reinstall parkgis, or make the map with "
            f"offline=False"
        )
        zh = (
            f"parkgis 的包数据（parkgis/maps/static/vendor）中缺少 {asset.project} "
            f"{asset.version}（{asset.name}）；请重新安装 parkgis，或用 offline=False 生成地图"
        )
        raise MapError(msg, zh=zh) from None
    text = data.decode("utf-8")  # bytes, not read_text: no newline translation
    if asset.kind == "css":
        text = _FOREIGN_URL.sub("none", text)
    if _CLOSERS[asset.kind].search(text):  # pragma: no cover - would end the element early
        raise MapError(
            f"{asset.name} cannot be inlined: it contains a closing tag",
            zh=f"{asset.name} 含有结束标签，无法内嵌到地图中",
        )
    return text.strip()


def asset_tags(*, offline: bool) -> str:
    """The ``<style>``/``<script>`` (offline) or ``<link>``/``<script src>`` tags.

    Examples
    --------
    >>> asset_tags(offline=False).count("<script src=")
    5
    """
    parts: list[str] = []
    if offline:
        parts.append("<!--\n" + notices() + "\n-->")
    for asset in ASSETS:
        if not offline:
            if asset.kind == "css":
                parts.append(f'<link rel="stylesheet" href="{asset.url}"/>')
            else:
                parts.append(f'<script src="{asset.url}"></script>')
            continue
        banner = f"/* {asset.project} {asset.version} ({asset.licence}); notice above */"
        tag = "style" if asset.kind == "css" else "script"
        parts.append(f"<{tag}>{banner}\n{asset_text(asset.name)}\n</{tag}>")
    return "\n".join(parts)


@functools.cache
def notices() -> str:
    """The licence notices of the inlined third-party files."""
    text = _static("THIRD_PARTY_NOTICES.txt")
    return text.replace("-->", "- ->").strip()


@functools.cache
def own_js(name: str = "parkgis-map.js") -> str:
    """One of parkgis's map scripts: ``parkgis-map.js`` (default) or ``parkgis-tiles.js``."""
    if name not in _OWN_SCRIPTS:
        raise KeyError(f"no parkgis script {name!r}; scripts: {', '.join(_OWN_SCRIPTS)}")
    text = _static(name)
    if _CLOSERS["js"].search(text):  # pragma: no cover - would end the element early
        raise MapError(
            f"{name} cannot be inlined: it contains a closing script tag",
            zh=f"{name} 含有 script 结束标签，无法内嵌到地图中",
        )
    return text


@functools.cache
def own_css() -> str:
    """parkgis's map stylesheet (``static/parkgis-map.css``)."""
    return _static("parkgis-map.css")


def _static(name: str) -> str:
    return resources.files("parkgis.maps").joinpath("static", name).read_text("utf-8")


def _asset(name: str) -> Asset:
    for asset in ASSETS:
        if asset.name == name:
            return asset
    raise KeyError(f"no map asset {name!r}; assets: {', '.join(a.name for a in ASSETS)}")
