"""Basemaps by name: OpenStreetMap, Tianditu, Gaode, or a URL template.

The catalogue is data, in ``basemaps.toml`` beside this module. A spec such
as ``"tianditu-vec,tianditu-img"`` resolves to :class:`Basemap` values with
their keys filled in; several become switchable base layers of one map.

Two traps are handled here rather than left to the user:

- Tianditu needs a key (``tk``). It comes from the caller or the
  ``TIANDITU_KEY`` environment variable, is checked for shape, and is never
  stored in the catalogue; a missing key raises :class:`TiandituKeyError`.
- Gaode tiles are drawn in GCJ-02, some 440 m off CGCS2000 at Yuanba. Each
  basemap carries its datum, and a map cannot mix GCJ-02 basemaps with
  others: its overlays can line up with one datum only.

Examples
--------
>>> [b.name for b in resolve_basemaps("gaode,gaode-satellite")]
['gaode', 'gaode-satellite']
>>> resolve_basemaps("none")
()
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit

from parkgis.errors import ParkgisError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "BASEMAPS",
    "GCJ02",
    "Basemap",
    "BasemapError",
    "MapError",
    "TiandituKeyError",
    "display_datum",
    "resolve_basemaps",
]

GCJ02 = "gcj02"
_KEY_ENV = {"tianditu": "TIANDITU_KEY"}
_KEY_SHAPE = re.compile(r"^[A-Za-z0-9]{8,64}$")
_PLACEHOLDERS = re.compile(r"\{([^{}]*)\}")
_LEAFLET_PLACEHOLDERS = {"s", "z", "x", "y", "-y", "r"}
# Hosts whose tiles are in GCJ-02 when given as a URL template.
_GCJ02_HOSTS = ("autonavi.com", "amap.com")


class MapError(ParkgisError, ValueError):
    """A map cannot be made as asked (unknown option, field, basemap ...)."""


class BasemapError(MapError):
    """A basemap name or URL template is not usable."""


class TiandituKeyError(BasemapError):
    """A Tianditu basemap was asked for without a (valid) key."""


@dataclass(frozen=True)
class Basemap:
    """A tile basemap ready for Leaflet.

    Attributes
    ----------
    name
        Catalogue name (``tianditu-vec``) or ``custom-1`` for a URL template.
    zh, en
        Display names.
    url
        Leaflet URL template, with any key filled in.
    labels
        A second template drawn on top (annotation), or empty.
    subdomains
        Values of ``{s}``.
    attribution
        HTML attribution shown by Leaflet (escaped for custom URLs).
    max_zoom
        Highest zoom with tiles.
    datum
        ``cgcs2000``, ``wgs84`` or ``gcj02``.
    """

    name: str
    zh: str
    en: str
    url: str
    labels: str = ""
    subdomains: str = ""
    attribution: str = ""
    max_zoom: int = 18
    datum: str = "wgs84"

    def label(self, lang: str = "zh") -> str:
        """The display name in ``lang``."""
        return self.zh if lang == "zh" else self.en

    @property
    def shifted(self) -> bool:
        """Whether overlays must be shifted to GCJ-02 to line up with the tiles."""
        return self.datum == GCJ02


def _load() -> dict[str, dict[str, object]]:
    text = resources.files("parkgis.maps").joinpath("basemaps.toml").read_text("utf-8")
    return tomllib.loads(text)


BASEMAPS: Mapping[str, Mapping[str, object]] = _load()
"""The catalogue: basemap name → its entry in ``basemaps.toml``."""


def resolve_basemaps(
    spec: str | Sequence[str] | None,
    *,
    tianditu_key: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[Basemap, ...]:
    """Turn ``"none"``, a name, a URL template or a comma list into basemaps.

    Parameters
    ----------
    spec
        ``none``, ``osm``, ``tianditu-vec``, ``tianditu-img``, ``gaode``,
        ``gaode-satellite``, an ``https://…{z}/{x}/{y}…`` template, or several
        of them comma-separated (or as a sequence).
    tianditu_key
        The Tianditu browser key; by default taken from ``environ``.
    environ
        Where to look for ``TIANDITU_KEY`` (the shell passes ``os.environ``).

    Raises
    ------
    BasemapError
        For an unknown name, a malformed template, or GCJ-02 basemaps mixed
        with others.
    TiandituKeyError
        For a Tianditu basemap without a key, or a key of the wrong shape.
    """
    items = _split(spec)
    out: list[Basemap] = []
    custom = 0
    for item in items:
        if item.lower() == "none":
            continue
        if "://" in item:
            custom += 1
            out.append(_custom(item, custom))
        else:
            out.append(_named(item.lower(), tianditu_key=tianditu_key, environ=environ or {}))
    names = [b.name for b in out]
    if len(set(names)) != len(names):
        raise BasemapError(
            f"basemap given twice in {','.join(items)!r}; list each once",
            zh=f"{','.join(items)!r} 中有底图重复；每个底图只列一次",
        )
    display_datum(out)
    return tuple(out)


def display_datum(basemaps: Sequence[Basemap]) -> str:
    """The datum overlays are drawn in: ``gcj02`` if the basemaps are, else as stored.

    Raises
    ------
    BasemapError
        When GCJ-02 basemaps are mixed with others.
    """
    shifted = [b.name for b in basemaps if b.shifted]
    plain = [b.name for b in basemaps if not b.shifted]
    if shifted and plain:
        msg = (
            f"basemaps {', '.join(shifted)} are in GCJ-02 (shifted about 440 m) and "
            f"{', '.join(plain)} are not: the overlays can line up with only one of them. "
            f"Make two maps, e.g. --basemap {','.join(shifted)} and --basemap {','.join(plain)}"
        )
        zh = (
            f"底图 {'、'.join(shifted)} 是 GCJ-02 坐标（偏移约 440 m），而 {'、'.join(plain)} "
            f"不是：叠加图层只能与其中一种对齐。请分成两张地图，如 --basemap "
            f"{','.join(shifted)} 和 --basemap {','.join(plain)}"
        )
        raise BasemapError(msg, zh=zh)
    return GCJ02 if shifted else "cgcs2000"


def _split(spec: str | Sequence[str] | None) -> list[str]:
    if spec is None:
        return []
    raw = [spec] if isinstance(spec, str) else list(spec)
    items: list[str] = []
    for part in raw:
        # A URL template may hold commas in its query: a piece that is neither
        # a name nor a URL continues the template before it.
        for piece in part.split(","):
            word = piece.strip()
            starts_new = word.lower() in BASEMAPS or word.lower() == "none" or "://" in word
            if items and "://" in items[-1] and not starts_new:
                items[-1] += "," + piece
            else:
                items.append(word)
    return [i for i in items if i]


def _named(name: str, *, tianditu_key: str | None, environ: Mapping[str, str]) -> Basemap:
    entry = BASEMAPS.get(name)
    if entry is None:
        known = ", ".join(["none", *BASEMAPS])
        msg = (
            f"basemap {name!r} is unknown; use one of {known}, "
            f"or an https:// URL template with {{z}}/{{x}}/{{y}}"
        )
        zh = (
            f"未知的底图 {name!r}；请使用 {'、'.join(['none', *BASEMAPS])} 之一，"
            f"或含 {{z}}/{{x}}/{{y}} 的 https:// URL 模板"
        )
        raise BasemapError(msg, zh=zh)
    url = str(entry["url"])
    labels = str(entry.get("labels", ""))
    key_name = entry.get("key")
    if key_name:
        key = _key(str(key_name), name, tianditu_key, environ)
        url = url.replace("{key}", key)
        labels = labels.replace("{key}", key)
    return Basemap(
        name=name,
        zh=str(entry["zh"]),
        en=str(entry["en"]),
        url=url,
        labels=labels,
        subdomains=str(entry.get("subdomains", "")),
        attribution=str(entry.get("attribution", "")),
        max_zoom=int(entry.get("max_zoom", 18)),  # type: ignore[call-overload]
        datum=str(entry.get("datum", "wgs84")),
    )


def _key(key_name: str, basemap: str, given: str | None, environ: Mapping[str, str]) -> str:
    env = _KEY_ENV[key_name]
    key = (given or environ.get(env, "")).strip()
    if not key:
        msg = (
            f"basemap {basemap!r} needs a Tianditu key (tk) and none was given: set the "
            f"{env} environment variable or pass --tianditu-key KEY (tianditu_key= in Python). "
            f"Get a browser key at https://console.tianditu.gov.cn; or use --basemap none"
        )
        zh = (
            f"底图 {basemap!r} 需要天地图密钥（tk），但没有给出：请设置环境变量 {env}，"
            f"或加 --tianditu-key KEY（Python 中用 tianditu_key=）。浏览器端密钥可在 "
            f"https://console.tianditu.gov.cn 申请；也可用 --basemap none"
        )
        raise TiandituKeyError(msg, zh=zh)
    if not _KEY_SHAPE.match(key):
        msg = (
            f"the Tianditu key given for basemap {basemap!r} is not 8-64 letters and digits "
            f"({len(key)} characters); copy the key from the Tianditu console again"
        )
        zh = (
            f"为底图 {basemap!r} 给出的天地图密钥不是 8-64 位字母和数字（现为 {len(key)} 个字符）；"
            f"请从天地图控制台重新复制密钥"
        )
        raise TiandituKeyError(msg, zh=zh)
    return key


def _custom(url: str, number: int) -> Basemap:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise BasemapError(
            f"basemap URL {url!r} must start with http:// or https:// and name a host",
            zh=f"底图 URL {url!r} 必须以 http:// 或 https:// 开头，并写明主机名",
        )
    found = set(_PLACEHOLDERS.findall(url))
    unknown = found - _LEAFLET_PLACEHOLDERS
    if unknown:
        msg = (
            f"basemap URL {url!r} has placeholder(s) "
            f"{', '.join(sorted('{' + u + '}' for u in unknown))}; "
            f"only {{s}}, {{z}}, {{x}}, {{y}}, {{-y}} and {{r}} are filled in"
        )
        zh = (
            f"底图 URL {url!r} 含有占位符 {'、'.join(sorted('{' + u + '}' for u in unknown))}；"
            f"只会填入 {{s}}、{{z}}、{{x}}、{{y}}、{{-y}} 和 {{r}}"
        )
        raise BasemapError(msg, zh=zh)
    if not {"z", "x"} <= found or not ({"y", "-y"} & found):
        raise BasemapError(
            f"basemap URL {url!r} needs {{z}}, {{x}} and {{y}} placeholders",
            zh=f"底图 URL {url!r} 必须含有 {{z}}、{{x}} 和 {{y}} 占位符",
        )
    host = parts.hostname or ""
    datum = GCJ02 if any(host == h or host.endswith("." + h) for h in _GCJ02_HOSTS) else "wgs84"
    return Basemap(
        name=f"custom-{number}",
        zh=f"自定义底图{number}",
        en=f"Custom basemap {number}",
        url=url,
        subdomains="abc" if "{s}" in url else "",
        attribution=html.escape(host),
        max_zoom=19,
        datum=datum,
    )
