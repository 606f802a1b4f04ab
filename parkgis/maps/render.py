"""Putting a map payload into a folium page without a template engine in the way.

folium and branca render every element through Jinja2, and re-render the
*output* of each element as a template once more: text such as ``{{ 7*7 }}``
in a parcel name becomes ``49``, and ``{#`` breaks the page. parkgis keeps
user text out of that path altogether:

- the data goes into ``<script type="application/json">`` as JSON with
  ``<``, ``>``, ``&`` (and U+2028/2029) written as ``\\u003c`` …, so nothing in
  it can close the element or be read as markup;
- that block, the scripts and styles are :class:`RawHtml` elements, whose
  text is returned as is, never compiled as a template;
- the only templated output is one line, ``parkgisMap(map_…, "parkgis-data-…")``,
  which holds no user text.

Element ids are set from a counter and a digest of the data, so the same
park gives the same bytes (folium uses random ids).
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Iterator
from typing import Any

from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from parkgis.maps.assets import asset_tags, own_css, own_js

__all__ = ["ParkLayer", "RawHtml", "dumps_json", "stabilise_ids"]

_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def dumps_json(data: Any) -> str:
    """JSON safe to place inside a ``<script>`` element.

    Examples
    --------
    >>> dumps_json({"name": "<img src=x onerror=alert(1)>"})
    '{"name":"\\\\u003cimg src=x onerror=alert(1)\\\\u003e"}'
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in _ESCAPES.items():
        text = text.replace(char, escaped)
    return text


class RawHtml(Element):
    """A piece of HTML written into the page exactly as given (no template)."""

    def __init__(self, text: str, *, name: str = "RawHtml") -> None:
        super().__init__()
        self._name = name
        self.text = text

    def render(self, **kwargs: Any) -> str:
        """Return the text unchanged."""
        return self.text


class ParkLayer(MacroElement):
    """Everything parkgis draws on a folium map: data, scripts, styles.

    Parameters
    ----------
    payload
        From :func:`parkgis.maps.layers.map_payload`.
    offline
        Inline every script and stylesheet (True) or link them from CDNs.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "parkgisMap({{ this._parent.get_name() }}, {{ this.data_id|tojson }});"
        "{% endmacro %}"
    )

    def __init__(self, payload: dict[str, Any], *, offline: bool = True) -> None:
        super().__init__()
        self._name = "ParkLayer"
        self.payload = payload
        self.offline = offline
        self._json = dumps_json(payload)
        self.digest = hashlib.sha256(self._json.encode("utf-8")).hexdigest()

    @property
    def data_id(self) -> str:
        """The id of the page element holding the data."""
        return f"parkgis-data-{self._id}"

    def render(self, **kwargs: Any) -> None:
        """Add the assets and data to the page, then the one-line start call."""
        figure = self.get_root()
        if not isinstance(figure, Figure):  # pragma: no cover - folium always has one
            raise TypeError("a ParkLayer must be on a map inside a folium Figure")
        title = html.escape(str(self.payload.get("title", "")))
        figure.header.add_child(
            RawHtml(f"<title>{title}</title>", name="Title"), name="parkgis_title"
        )
        figure.header.add_child(
            RawHtml(asset_tags(offline=self.offline), name="Assets"), name="parkgis_assets"
        )
        figure.header.add_child(
            RawHtml(f"<style>\n{own_css()}</style>", name="Css"), name="parkgis_css"
        )
        figure.html.add_child(
            RawHtml(
                f'<script type="application/json" id="{self.data_id}">{self._json}</script>',
                name="Data",
            ),
            name=f"parkgis_data_{self._id}",
        )
        script = own_js()
        if self.payload.get("renderer") == "tiles":
            script = own_js("parkgis-tiles.js") + "\n" + script
        figure.html.add_child(RawHtml(f"<script>\n{script}</script>", name="Js"), name="parkgis_js")
        super().render(**kwargs)


def stabilise_ids(root: Element, *, seed: str) -> None:
    """Give every element under ``root`` an id from ``seed`` and a counter.

    folium names its JavaScript variables and HTML ids after random element
    ids; fixed ids make the same map render to the same bytes. Elements are
    numbered depth-first, so elements added later do not renumber earlier
    ones. The figure's header, html and script parts (filled anew at each
    render, their ids never written) are left alone.
    """
    prefix = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:8]
    for n, element in enumerate(_walk(root)):
        element._id = f"{prefix}{n:04x}"


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)
