"""Open maps that follow the park in place: one map page per drawing, and the changes since.

A served map (``/map.html``) is a large page: 16 MB and seconds of work at
100,000 parcels. It is drawn once per *generation* of the snapshot
(:class:`parkgis.serve.state.Generation`), not once per version: an edit that
changes only values of parcels (a status, step or title, a project, a
retirement) keeps the generation, and a map already open takes it in place
from :func:`map_changes` — for each parcel changed since the ``seq`` the map
has: its class (the status, hence its colour), its popup values and projects,
or its retirement (the parcel is hidden); and the legend, summary and reserve
zones of the park as it is now. The page's own script
(``parkgis/maps/static/parkgis-map.js``, ``update``) applies it without
reloading: the view stays where it is.

Trust first: after the changes are applied, the map shows what a map drawn
now would show (tests/test_serve.py compares the two). Whenever that cannot
be promised the answer is ``{"reload": true}`` and the page loads the map
again: another generation (a split, a merge, a change made elsewhere), a
page the server no longer keeps, a changed parcel the map does not have or
has twice.

Privacy and text: the changes are made for the viewer's role, as the map
page is (owner fields only for those allowed to see private fields), and
every value travels as a JSON string that the page puts on the map with
``textContent``.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from parkgis.check.reading import Reading
from parkgis.model.park import Park
from parkgis.serve.state import KEEPS_GENERATION, Snapshot

__all__ = ["MapPage", "map_changes", "map_page", "public_park"]

_MOST_CHANGED = 20_000  # more parcels changed since a page's seq: the map is drawn again
_ZONE_OUTLINES = 1_000  # reserve-zone outlines kept per generation
_COLOR_BY = "acquisition_status"


@dataclass(frozen=True, eq=False)
class MapPage:
    """A map page drawn for one generation, language and role, and what it was drawn with.

    Attributes
    ----------
    token
        A random text naming the page (in its data, ``live.page``).
    seq
        The ``seq`` of the snapshot it was drawn from (in its data, ``live.seq``).
    html
        The page, UTF-8.
    ids
        The ids of the parcels it draws (by their position in it).
    zones
        Each reserve zone's parcels, as a digest of their ids (see :func:`_zone_digests`).
    tiled
        Whether its parcels are drawn on canvas tiles.
    """

    token: str
    seq: int
    html: bytes
    ids: Mapping[str, int]
    zones: Mapping[Any, str]
    tiled: bool

    @property
    def etag(self) -> str:
        """The page's ETag (the same for as long as the page is served)."""
        return f'"map-{self.token}"'


def public_park(park: Park, private: bool) -> Park:
    """The park without its private fields, unless ``private``."""
    if private:
        return park
    hidden = [c for c in park.manifest.private_fields if c in park.parcels.columns]
    return park.replace(parcels=park.parcels.drop(columns=hidden)) if hidden else park


def map_page(snap: Snapshot, lang: str, private: bool) -> MapPage:
    """The map page of ``snap``'s generation for a language and role (drawn when first needed)."""
    return snap.generation.derived(("map", lang, private), lambda: _draw(snap, lang, private))


def map_changes(
    snap: Snapshot, *, page: str, since: int, lang: str, private: bool
) -> dict[str, Any]:
    """What an open map page must change to show ``snap``, or that it must be loaded again.

    Parameters
    ----------
    snap
        The snapshot served now.
    page, since
        The page's token and the ``seq`` it shows (its ``live`` data, then
        the ``seq`` of the last changes it applied).
    lang, private
        The viewer's language and whether the viewer may see private fields
        (as for the page).

    Returns
    -------
    dict
        ``{"reload": true}``, or ``reload`` false with: ``page``, ``seq``
        (the map shows this once the changes are applied); ``parcels`` (for
        each parcel changed since ``since``: ``id``, and either ``retired``
        true or its class ``cls``, popup values ``cols`` and projects
        ``proj``) with the ``labels``, ``keys``, ``project_labels`` and
        ``project_keys`` the values follow (see
        :func:`parkgis.maps.layers.parcel_changes`); ``legend`` (``classes``
        and ``total``), ``summary`` and ``zones`` (None when the reserve
        zones are those of the page; else ``zones`` and, for a tiled map,
        ``zone_outlines``), all as the map's data has them.
    """
    current = snap.generation.cache.get(("map", lang, private))
    if not isinstance(current, MapPage) or current.token != page:
        return {"reload": True}
    if not current.seq <= since <= snap.seq:
        return {"reload": True}
    key = ("map-changes", page, since, lang, private)
    return dict(snap.derived(key, lambda: _changes(snap, current, since, lang, private)))


# --------------------------------------------------------------------------- drawing


def _draw(snap: Snapshot, lang: str, private: bool) -> MapPage:
    from parkgis.maps import map_html, park_map
    from parkgis.maps.render import ParkLayer

    reading = snap.reading
    token = secrets.token_hex(8)
    m = park_map(
        public_park(reading.measured, private),
        lang=lang,
        include_private=private,
        notes=reading.note_texts(lang),
        withheld=_withheld(reading, lang),
        live={"page": token, "seq": snap.seq},
        zone_cache=_zone_cache(snap),
    )
    payload = next(e for e in m._children.values() if isinstance(e, ParkLayer)).payload
    html = map_html(m, offline=True).encode("utf-8")
    return MapPage(
        token=token,
        seq=snap.seq,
        html=html,
        ids=snap.positions()[1],
        zones=_zone_digests(snap),
        tiled=payload["renderer"] == "tiles",
    )


def _withheld(reading: Reading, lang: str) -> str | None:
    """Why the map gives no "available" figure (the errors that stop ``parkgis reserve``)."""
    from parkgis.check.reading import FIGURE_TABLES

    stops = reading.blocking(FIGURE_TABLES["reserve"])
    if not stops:
        return None
    if lang == "zh":
        return f"{len(stops)} 个错误使该数字不可靠（parkgis validate 列出）"
    return f"{len(stops)} error(s) make this figure uncertain (parkgis validate)"


class _Outlines(MutableMapping[Any, Any]):
    """Reserve-zone outlines of one generation: the most recently used are kept."""

    def __init__(self) -> None:
        self._kept: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __getitem__(self, key: Any) -> Any:
        with self._lock:
            value = self._kept[key]
            self._kept.move_to_end(key)
            return value

    def __setitem__(self, key: Any, value: Any) -> None:
        with self._lock:
            self._kept[key] = value
            while len(self._kept) > _ZONE_OUTLINES:
                self._kept.popitem(last=False)

    def __delitem__(self, key: Any) -> None:
        with self._lock:
            del self._kept[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._kept))

    def __len__(self) -> int:
        return len(self._kept)


def _zone_cache(snap: Snapshot) -> _Outlines:
    return snap.generation.derived("zone-outlines", _Outlines)


def _zone_digests(snap: Snapshot) -> dict[Any, str]:
    """Each reserve zone's unacquired parcels, as a digest of their ids (as the map groups them)."""

    def make() -> dict[Any, str]:
        parcels = snap.reading.measured.parcels
        if "acquisition_status" not in parcels.columns:
            return {}
        unacquired = parcels["acquisition_status"].astype(object).eq("unacquired").to_numpy()
        keep = unacquired & ~(parcels.geometry.isna() | parcels.geometry.is_empty).to_numpy()
        if "zone" in parcels.columns:
            zone = parcels["zone"].astype(object)
            zones = zone.where(zone.notna(), "").to_numpy()[keep]
        else:
            zones = np.full(int(keep.sum()), "", dtype=object)
        ids = parcels["parcel_id"].astype(str).to_numpy()[keep]
        members: dict[Any, list[str]] = {}
        for name, pid in zip(zones.tolist(), ids.tolist(), strict=True):
            members.setdefault(name, []).append(pid)
        return {
            name: hashlib.sha1("\x1f".join(ids).encode("utf-8")).hexdigest()
            for name, ids in members.items()
        }

    return dict(snap.derived("zone-digests", make))


# --------------------------------------------------------------------------- changes


def _changes(snap: Snapshot, page: MapPage, since: int, lang: str, private: bool) -> dict[str, Any]:
    from parkgis.maps.layers import parcel_changes

    def again() -> dict[str, Any]:  # the page cannot follow: drawn again at the next request
        snap.generation.forget(("map", lang, private), page)
        return {"reload": True}

    changed = _changed_ids(snap.park.events, since)
    if changed is None or len(changed) > _MOST_CHANGED:
        return again()
    _, measured_at = snap.positions()
    duplicated = snap.duplicated()
    positions: list[int] = []
    retired: list[str] = []
    for pid in changed:
        pos = measured_at.get(pid)
        if pid in duplicated or (pos is not None and pid not in page.ids):
            return again()
        if pid not in page.ids:
            continue  # never drawn (left out by the reading)
        if pos is None:
            retired.append(pid)
        else:
            positions.append(pos)
    parts = parcel_changes(
        public_park(snap.reading.measured, private),
        positions,
        area_mu=snap.reading.area_mu,
        color_by=_COLOR_BY,
        lang=lang,
        include_private=private,
    )
    zones = None
    digests = _zone_digests(snap)
    if digests != page.zones:
        zones = _zones(snap, lang, page.tiled)
    figures = _figures(snap, lang)
    return {
        "reload": False,
        "page": page.token,
        "seq": snap.seq,
        **{k: parts[k] for k in ("labels", "keys", "project_labels", "project_keys")},
        "parcels": [*parts["parcels"], *({"id": pid, "retired": True} for pid in retired)],
        "legend": figures["legend"],
        "summary": figures["summary"],
        "zones": zones,
    }


def _changed_ids(log: pd.DataFrame, since: int) -> list[str] | None:
    """The ids of the parcels whose events come after ``since``, in log order; None for an
    event that does not keep the generation (never in one generation: a doubt)."""
    if not len(log):
        return []
    later = np.flatnonzero(log["seq"].to_numpy(dtype=float) > since)
    rows = log.iloc[later]
    out: dict[str, None] = {}
    for entity, name, pid in zip(rows["entity"].tolist(), rows["field"].tolist(),
                                 rows["entity_id"].tolist(), strict=True):  # fmt: skip
        if entity != "parcel" or name not in KEEPS_GENERATION:
            return None
        out[str(pid)] = None
    return list(out)


def _figures(snap: Snapshot, lang: str) -> dict[str, Any]:
    """The legend and summary of a map drawn from ``snap`` (as :func:`map_payload` makes them)."""

    def make() -> dict[str, Any]:
        from parkgis.maps.layers import legend_figures, summary_payload

        reading = snap.reading
        area = pd.Series(reading.area_mu.to_numpy(dtype=float))
        codes, cats = _classes(snap, lang)
        why_not = _withheld(reading, lang)
        available = math.nan if why_not else _available_mu(snap)
        if isinstance(available, str):
            available, why_not = math.nan, available
        summary = summary_payload(reading.measured.parcels, area, lang=lang,
                                  available_mu=float(available), why_not=why_not)  # fmt: skip
        return {"legend": legend_figures(codes, cats, area), "summary": summary}

    return dict(snap.derived(("map-figures", lang), make))


def _classes(snap: Snapshot, lang: str) -> tuple[pd.Series, list[Any]]:
    """Each parcel's legend class and the classes, as :func:`parcel_classes` gives them.

    From the status codes the snapshot keeps current (no pass over the
    values), but for the parcels whose status is not a code of the chain:
    those are classed by :func:`parkgis.maps.style.parcel_classes` itself.
    """
    from parkgis.maps.style import Category, parcel_classes
    from parkgis.model.vocab import ACQUISITION

    terms = list(ACQUISITION)
    status = snap.status_codes()
    table = np.array([t.code for t in terms] + [""], dtype=object)
    codes = table[status]
    other = np.flatnonzero(status == len(terms))
    present = {terms[k].code for k in np.unique(status).tolist() if k < len(terms)}
    extra: list[Category] = []
    if other.size:
        parcels = snap.reading.measured.parcels.iloc[other]
        found, extra = parcel_classes(parcels, by=_COLOR_BY, lang=lang)
        codes[other] = found.to_numpy(dtype=object)
        present |= {c.code for c in extra if c.code in ACQUISITION.codes}
    cats = [Category(t.code, t.label(lang), t.colour) for t in terms if t.code in present]
    cats += [c for c in extra if c.code not in ACQUISITION.codes]
    return pd.Series(codes, dtype=object), cats


def _available_mu(snap: Snapshot) -> float | str:
    """Net buildable land free now (as ``parkgis reserve``), from the snapshot's land figures.

    The text of the error when it cannot be computed.
    """
    figures = snap.figures()
    table = figures.table()
    if figures.error is not None or table is None:
        return str(figures.error)
    return float(table.loc[table["role"] == "available", "supply_mu"].sum())


def _zones(snap: Snapshot, lang: str, tiled: bool) -> dict[str, Any]:
    """The reserve zones of a map drawn from ``snap`` (outlines kept are not drawn again)."""

    def make() -> dict[str, Any]:
        from parkgis.maps.layers import reserve_zones

        reading = snap.reading
        parcels = reading.measured.parcels.reset_index(drop=True)
        area = pd.Series(reading.area_mu.to_numpy(dtype=float))
        zones, outlines = reserve_zones(parcels, area, lang=lang, tiled=tiled,
                                        cache=_zone_cache(snap))  # fmt: skip
        return {"zones": zones, "zone_outlines": outlines}

    return dict(snap.derived(("map-zones", lang, tiled), make))
