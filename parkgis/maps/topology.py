"""Shared-edge (topological) encoding of a parcel fabric, for maps of 100,000 parcels.

A parcel fabric is a coverage: neighbours share their edges vertex for
vertex. Written polygon by polygon, every inner edge is written twice. Here
the boundaries are cut into *arcs* (runs of vertices between the points where
three or more parcels, or the fabric's edge, meet), each arc is written once,
and every ring is a list of references to arcs, as in TopoJSON:

- coordinates are integers in 1e-6 degree (about 0.1 m), delta-coded along
  all arcs in turn and packed as text (:func:`pack_signed`: 5 bits a
  character, in a URL-safe base-64 alphabet);
- a ring refers to its arcs with small numbers: 0 is "the next new arc",
  ``2d - 1`` and ``2d`` are the arc ``d`` back from the next new one, forward
  or reversed (neighbours come close together in the list);
- every vertex inside an arc carries the zoom from which it is drawn
  (:func:`vertex_zooms`): each arc is simplified once per zoom band
  (Douglas-Peucker at a fraction of a pixel), coarser bands simplifying the
  finer ones, so the bands nest. Both neighbours draw the same simplified arc:
  the fabric has no gaps at any zoom.

Quantising can join two consecutive vertices less than 0.1 m apart; the
second is dropped. Areas are never taken from this copy (the map shows
:func:`parkgis.measure.area.gross_area_mu` of the full geometry).

Pure numpy and shapely; ``static/parkgis-tiles.js`` is the decoder in the
page, :func:`decode_topology` its Python twin.

Examples
--------
Two unit squares side by side share one arc:

>>> from shapely.geometry import box
>>> topo = build_topology(np.array([box(0, 0, 1e-6, 1e-6), box(1e-6, 0, 2e-6, 1e-6)]))
>>> topo.n_arcs, topo.refs.tolist()
(3, [0, 1, -1, 2])
>>> [r.tolist() for r in decode_topology(encode_topology(topo))[1][0]]
[[[1, 1], [1, 0], [2, 0], [2, 1]]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from parkgis.errors import ParkgisError

__all__ = [
    "ALPHABET",
    "SCALE",
    "Topology",
    "build_topology",
    "decode_topology",
    "encode_topology",
    "pack_signed",
    "pack_unsigned",
    "ring_refs_codes",
    "unpack_signed",
    "unpack_unsigned",
    "vertex_zooms",
]

SCALE = 1_000_000
"""Coordinates are integers in 1e-6 degree (about 0.1 m)."""

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
"""The 64 characters of packed numbers: index 0-31 ends a number, 32-63 goes on.

None of them needs escaping in JSON or HTML.
"""

_CODES = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
_VALUE_OF = np.full(128, -1, dtype=np.int64)
_VALUE_OF[_CODES] = np.arange(64)
_M_PER_MICRODEGREE = 0.1111951  # one 1e-6 degree of latitude (or of longitude at the equator)
_M_PER_PIXEL_Z0 = 156_543.034  # web mercator metres per pixel at zoom 0, at the equator


def pack_unsigned(values: Any) -> str:
    """Pack non-negative integers as text, 5 bits a character.

    Each number is written lowest bits first; characters ``A``-``f`` (0-31)
    end a number, ``g``-``_`` (32-63) are followed by more of it.

    Examples
    --------
    >>> pack_unsigned([0, 1, 31, 32, 1000])
    'ABfgBof'
    >>> unpack_unsigned('ABfgBof').tolist()
    [0, 1, 31, 32, 1000]
    """
    v = np.asarray(values, dtype=np.int64).ravel()
    if len(v) == 0:
        return ""
    if v.min() < 0:
        raise ValueError("pack_unsigned takes non-negative integers; use pack_signed")
    width = 1 + int(v.max()).bit_length() // 5  # characters of the largest number
    chunks = np.empty((len(v), width), dtype=np.int64)
    bits = np.ones(len(v), dtype=np.int64)  # characters of each number
    for k in range(width):
        chunks[:, k] = (v >> (5 * k)) & 31
        if k:
            bits += (v >> (5 * k)) > 0
    k = np.arange(width)
    used = k[None, :] < bits[:, None]
    more = k[None, :] < (bits - 1)[:, None]
    digits = chunks + 32 * more
    return _CODES[digits[used]].tobytes().decode("ascii")


def unpack_unsigned(text: str) -> np.ndarray:
    """The numbers :func:`pack_unsigned` wrote, as an int64 array.

    Raises
    ------
    ValueError
        For a character outside :data:`ALPHABET` or a number cut short.
    """
    if not text:
        return np.zeros(0, dtype=np.int64)
    raw = np.frombuffer(text.encode("ascii", errors="replace"), dtype=np.uint8)
    d = _VALUE_OF[np.minimum(raw, 127)]
    if (d < 0).any():
        bad = text[int(np.flatnonzero(d < 0)[0])]
        raise ValueError(f"{bad!r} is not a packed-number character")
    if d[-1] >= 32:
        raise ValueError("packed numbers end in the middle of a number")
    ends = np.flatnonzero(d < 32)
    number = np.zeros(len(d), dtype=np.int64)
    number[ends[:-1] + 1] = 1
    number = np.cumsum(number)
    first = np.concatenate([[0], ends[:-1] + 1])
    shift = 5 * (np.arange(len(d)) - first[number])
    return np.add.reduceat((d & 31) << shift, first)


def pack_signed(values: Any) -> str:
    """Pack integers of either sign (zig-zag: 0, -1, 1, -2 … → 0, 1, 2, 3 …).

    Examples
    --------
    >>> pack_signed([0, -1, 1, -300])
    'ABC3S'
    >>> unpack_signed('ABC3S').tolist()
    [0, -1, 1, -300]
    """
    v = np.asarray(values, dtype=np.int64).ravel()
    return pack_unsigned((v << 1) ^ (v >> 63))


def unpack_signed(text: str) -> np.ndarray:
    """The numbers :func:`pack_signed` wrote."""
    u = unpack_unsigned(text)
    return (u >> 1) ^ -(u & 1)


@dataclass(frozen=True)
class Topology:
    """Polygons as shared arcs.

    Attributes
    ----------
    origin
        ``(x, y)`` of the integer grid's minimum, in 1e-6 degree.
    arc_xy
        Every arc's vertices, relative to ``origin``, arc after arc (int64, n × 2).
    arc_offsets
        Where each arc starts in ``arc_xy`` (length ``n_arcs + 1``).
    refs
        Each ring's arcs in order: the arc's index, or ``~index`` when the
        ring runs along it backwards.
    ring_arcs
        Arcs per ring.
    rings_per_polygon, polygons_per_feature
        The nesting of rings in polygons and polygons in features (a missing
        or empty geometry has 0 polygons).
    """

    origin: tuple[int, int]
    arc_xy: np.ndarray
    arc_offsets: np.ndarray
    refs: np.ndarray
    ring_arcs: np.ndarray
    rings_per_polygon: np.ndarray
    polygons_per_feature: np.ndarray

    @property
    def n_arcs(self) -> int:
        """Number of distinct arcs."""
        return len(self.arc_offsets) - 1

    @property
    def n_features(self) -> int:
        """Number of features (polygons, multipolygons or missing)."""
        return len(self.polygons_per_feature)


def build_topology(geoms: Any, *, scale: int = SCALE) -> Topology:
    """Cut polygons (in degrees) into shared arcs on an integer grid.

    Parameters
    ----------
    geoms
        Polygons or multipolygons (an array, a GeoSeries' values), longitude
        and latitude; missing or empty geometries allowed.
    scale
        Grid units per degree (default 1e6).

    Raises
    ------
    ParkgisError
        For a geometry that is not a polygon or multipolygon.
    """
    values = np.asarray(getattr(geoms, "array", geoms), dtype=object)
    n = len(values)
    absent = shapely.is_missing(values) | shapely.is_empty(values)
    if n == 0 or absent.all():
        return _empty(n)
    values = shapely.force_2d(np.where(absent, None, values))
    gtype, coords, offsets = shapely.to_ragged_array(values)
    if gtype == shapely.GeometryType.POLYGON:
        ring_off, poly_off = offsets
        per_poly = np.diff(poly_off)
        fp = (per_poly > 0).astype(np.int64)  # a missing polygon has no ring
        pr = per_poly[per_poly > 0]
    elif gtype == shapely.GeometryType.MULTIPOLYGON:
        ring_off, poly_off, feat_off = offsets
        fp = np.diff(feat_off).astype(np.int64)
        pr = np.diff(poly_off).astype(np.int64)
    else:
        name = shapely.GeometryType(gtype).name.lower()
        raise ParkgisError(
            f"only polygons can be encoded as a fabric, not {name} geometries",
            zh=f"只有面（多边形）才能按共享边编码，{name} 几何不行",
        )
    closing = np.zeros(len(coords), dtype=bool)
    closing[ring_off[1:] - 1] = True
    q = np.rint(coords[~closing, :2] * scale).astype(np.int64)
    origin = q.min(axis=0)
    rel = q - origin
    lengths = np.diff(ring_off) - 1
    rel, lengths = _drop_repeats(rel, lengths)
    xy, arc_offsets, refs, ring_arcs = _arcs(rel, lengths)
    return Topology(
        origin=(int(origin[0]), int(origin[1])),
        arc_xy=xy,
        arc_offsets=arc_offsets,
        refs=refs,
        ring_arcs=ring_arcs,
        rings_per_polygon=pr.astype(np.int64),
        polygons_per_feature=fp,
    )


def _empty(n: int) -> Topology:
    nothing = np.zeros(0, dtype=np.int64)
    return Topology(
        origin=(0, 0),
        arc_xy=np.zeros((0, 2), dtype=np.int64),
        arc_offsets=np.zeros(1, dtype=np.int64),
        refs=nothing,
        ring_arcs=nothing,
        rings_per_polygon=nothing,
        polygons_per_feature=np.zeros(n, dtype=np.int64),
    )


def _starts(lengths: np.ndarray) -> np.ndarray:
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out[1:])
    return out


def _drop_repeats(rel: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop vertices equal to the one before them in their ring (cyclically)."""
    starts = _starts(lengths)
    key = (rel[:, 0] << 32) | rel[:, 1]
    ring = np.repeat(np.arange(len(lengths)), lengths)
    repeat = np.zeros(len(key), dtype=bool)
    repeat[1:] = key[1:] == key[:-1]
    repeat[starts[:-1][lengths > 0]] = False
    if repeat.any():
        rel, key, ring = rel[~repeat], key[~repeat], ring[~repeat]
        lengths = np.bincount(ring, minlength=len(lengths))
        starts = _starts(lengths)
    long = lengths > 1
    last = starts[1:][long] - 1
    wraps = key[last] == key[starts[:-1][long]]
    if wraps.any():
        keep = np.ones(len(key), dtype=bool)
        keep[last[wraps]] = False
        rel, ring = rel[keep], ring[keep]
        lengths = np.bincount(ring, minlength=len(lengths))
    return rel, lengths


def _arcs(
    rel: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split rings at junctions and number the distinct arcs by first use."""
    n_rings = len(lengths)
    starts = _starts(lengths)
    total = int(starts[-1])
    key = (rel[:, 0] << 32) | rel[:, 1]
    ring = np.repeat(np.arange(n_rings), lengths)
    idx = np.arange(total)
    first = starts[:-1][ring]
    last = first + lengths[ring] - 1
    nxt = np.where(idx == last, first, idx + 1)
    prv = np.where(idx == first, last, idx - 1)
    lo = np.minimum(key[prv], key[nxt])
    hi = np.maximum(key[prv], key[nxt])

    # A junction: a point whose occurrences do not all have the same two neighbours,
    # or that a ring passes twice.
    order = np.lexsort((hi, lo, key))
    ks, los, his = key[order], lo[order], hi[order]
    new_key = np.ones(total, dtype=bool)
    new_key[1:] = ks[1:] != ks[:-1]
    new_pair = new_key.copy()
    new_pair[1:] |= (los[1:] != los[:-1]) | (his[1:] != his[:-1])
    group = np.cumsum(new_key) - 1
    junction_key = np.bincount(group, weights=new_pair) > 1
    junction = np.empty(total, dtype=bool)
    junction[order] = junction_key[group]
    by_ring = np.lexsort((key, ring))
    twice = (key[by_ring][1:] == key[by_ring][:-1]) & (ring[by_ring][1:] == ring[by_ring][:-1])
    if twice.any():
        junction |= np.isin(key, key[by_ring][1:][twice])
    # A ring with no junction (an island, or the hole around it) is cut at its
    # smallest point, which its twin ring picks too.
    nonempty = lengths > 0
    has = np.zeros(n_rings, dtype=bool)
    has[nonempty] = np.add.reduceat(junction, starts[:-1][nonempty]) > 0
    lonely = nonempty & ~has
    if lonely.any():
        cut = key[by_ring[starts[:-1][lonely]]]
        junction |= np.isin(key, cut)

    # Rotate each ring to start at its first junction and close it.
    jpos = np.flatnonzero(junction)
    first_j = np.zeros(n_rings, dtype=np.int64)
    first_j[ring[jpos][::-1]] = jpos[::-1] - starts[:-1][ring[jpos][::-1]]
    closed_len = lengths + nonempty
    cstarts = _starts(closed_len)
    cring = np.repeat(np.arange(n_rings), closed_len)
    cpos = np.arange(int(cstarts[-1])) - cstarts[:-1][cring]
    clen = lengths[cring]
    src = starts[:-1][cring] + (np.minimum(cpos, clen - 1) * (cpos < clen) + first_j[cring]) % clen
    is_close = cpos == clen
    cjunction = junction[src] | is_close
    jc = np.flatnonzero(cjunction)
    opens = ~is_close[jc]
    a_start = jc[opens]
    a_end = jc[np.flatnonzero(opens) + 1]
    occ_ring = cring[a_start]

    # Identify each arc by its first two points, whichever end comes first.
    s1, s2 = key[src[a_start]], key[src[a_start + 1]]
    e1, e2 = key[src[a_end]], key[src[a_end - 1]]
    forward = (s1 < e1) | ((s1 == e1) & (s2 <= e2))
    k1 = np.where(forward, s1, e1)
    k2 = np.where(forward, s2, e2)
    o = np.lexsort((k2, k1))
    new = np.ones(len(o), dtype=bool)
    new[1:] = (k1[o][1:] != k1[o][:-1]) | (k2[o][1:] != k2[o][:-1])
    uid = np.empty(len(o), dtype=np.int64)
    uid[o] = np.cumsum(new) - 1
    first_occ = o[new]  # lexsort is stable: the earliest occurrence of each arc
    arc_of_uid = np.empty(len(first_occ), dtype=np.int64)
    arc_of_uid[np.argsort(first_occ, kind="stable")] = np.arange(len(first_occ))
    arc = arc_of_uid[uid]
    same_way = forward == forward[first_occ[uid]]
    refs = np.where(same_way, arc, ~arc)

    stored = np.sort(first_occ)  # first occurrences, in arc order
    counts = a_end[stored] - a_start[stored] + 1
    arc_offsets = _starts(counts)
    take = np.repeat(a_start[stored] - arc_offsets[:-1], counts) + np.arange(int(arc_offsets[-1]))
    xy = rel[src[take]]
    ring_arcs = np.bincount(occ_ring, minlength=n_rings).astype(np.int64)
    return xy, arc_offsets, refs.astype(np.int64), ring_arcs


def vertex_zooms(
    topo: Topology,
    *,
    lat: float,
    zooms: tuple[int, int],
    pixel_tolerance: float = 0.5,
    scale: int = SCALE,
) -> np.ndarray:
    """The zoom from which each arc vertex is drawn.

    For each zoom from ``zooms[1]`` down to ``zooms[0]`` every arc is
    simplified (Douglas-Peucker, ``pixel_tolerance`` pixels at that zoom),
    starting from the previous zoom's result, so a vertex kept at one zoom is
    kept at every finer one. Arc ends are always drawn (``zooms[0]``);
    a vertex no band keeps gets ``zooms[1] + 1``.

    Parameters
    ----------
    lat
        Latitude of the map's centre (sets the size of a pixel).
    zooms
        Lowest and highest zoom with its own simplification.
    """
    low, high = zooms
    offsets = topo.arc_offsets
    n = len(topo.arc_xy)
    level = np.full(n, high + 1, dtype=np.int64)
    counts = np.diff(offsets)
    ends = np.zeros(n, dtype=bool)
    ends[offsets[:-1][counts > 0]] = True
    ends[offsets[1:][counts > 0] - 1] = True
    level[ends] = low
    if not (counts > 2).any():
        return level  # arcs of two points: nothing to simplify
    shrink = math.cos(math.radians(lat))
    keep = np.repeat(counts > 2, counts)
    vertex = np.flatnonzero(keep)
    arc_of = np.repeat(np.arange(len(counts)), counts)[keep]
    # z carries each vertex's index through the simplification
    coords = np.column_stack(
        [
            topo.arc_xy[vertex, 0] * shrink * _M_PER_MICRODEGREE * (SCALE / scale),
            topo.arc_xy[vertex, 1] * _M_PER_MICRODEGREE * (SCALE / scale),
            vertex.astype(np.float64),
        ]
    )
    _, arc_index = np.unique(arc_of, return_inverse=True)
    lines = shapely.linestrings(coords, indices=arc_index)
    for zoom in range(high, low - 1, -1):
        metres = pixel_tolerance * _M_PER_PIXEL_Z0 * shrink / 2**zoom
        lines = shapely.simplify(lines, metres, preserve_topology=False)
        kept = shapely.get_coordinates(lines, include_z=True)[:, 2].astype(np.int64)
        level[kept] = np.minimum(level[kept], zoom)
    level[ends] = low
    return level


def ring_refs_codes(refs: np.ndarray) -> np.ndarray:
    """Arc references as small numbers: 0 = the next new arc, else how far back.

    ``2d - 1`` is the arc ``d`` before the next new one, forward; ``2d`` the
    same arc backwards.

    Examples
    --------
    >>> ring_refs_codes(np.array([0, 1, ~0, 2, ~1])).tolist()
    [0, 0, 4, 0, 4]
    """
    refs = np.asarray(refs, dtype=np.int64)
    if len(refs) == 0:
        return refs
    arc = np.where(refs < 0, ~refs, refs)
    # arcs are numbered by first use: the next new one is one more than any seen before
    next_new = np.concatenate([[0], np.maximum.accumulate(arc)[:-1] + 1])
    back = next_new - arc
    return np.where(back == 0, 0, 2 * back - 1 + (refs < 0))


def encode_topology(topo: Topology, *, levels: np.ndarray | None = None, low: int = 0) -> dict:
    """The JSON-ready, packed form of a topology (what the page decodes).

    Parameters
    ----------
    levels
        The zoom of each arc vertex (:func:`vertex_zooms`); without it every
        vertex is drawn at every zoom.
    low
        The lowest zoom of ``levels``.

    Returns
    -------
    dict
        ``origin``; ``xy`` (packed signed deltas of every arc vertex, x and y
        in turn, across arcs); ``al`` arc lengths in vertices; ``lv`` one
        character per inner arc vertex: its zoom minus ``z0``; ``z0``;
        ``ra`` arcs per ring; ``refs`` (:func:`ring_refs_codes`); ``pr``
        rings per polygon and ``fp`` polygons per feature (packed, or None
        where all are 1).
    """
    xy = topo.arc_xy
    deltas = np.diff(xy, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    counts = np.diff(topo.arc_offsets)
    if levels is None:
        inner = ""
    else:
        ends = np.zeros(len(xy), dtype=bool)
        ends[topo.arc_offsets[:-1][counts > 0]] = True
        ends[topo.arc_offsets[1:][counts > 0] - 1] = True
        rel = levels[~ends] - low
        if len(rel) and (rel.min() < 0 or rel.max() > 31):
            raise ValueError("vertex zooms must lie within 31 zooms of the lowest")
        inner = _CODES[rel].tobytes().decode("ascii") if len(rel) else ""
    pr, fp = topo.rings_per_polygon, topo.polygons_per_feature
    return {
        "origin": list(topo.origin),
        "n": topo.n_features,
        "xy": pack_signed(deltas.ravel()),
        "al": pack_unsigned(counts),
        "lv": inner if levels is not None else None,
        "z0": low,
        "ra": pack_unsigned(topo.ring_arcs),
        "refs": pack_unsigned(ring_refs_codes(topo.refs)),
        "pr": None if np.all(pr == 1) else pack_unsigned(pr),
        "fp": None if np.all(fp == 1) else pack_unsigned(fp),
    }


def decode_topology(data: dict, *, zoom: int | None = None) -> list[list[list[np.ndarray]] | None]:
    """Features → polygons → rings of integer ``[x, y]`` (grid units, absolute).

    The Python twin of the page's decoder. ``zoom`` keeps only the vertices
    drawn at that zoom; None keeps them all. Rings are not closed (the first
    vertex is not repeated).
    """
    counts = unpack_unsigned(data["al"])
    xy = np.cumsum(unpack_signed(data["xy"]).reshape(-1, 2), axis=0) + np.asarray(data["origin"])
    offsets = _starts(counts)
    shown = np.ones(len(xy), dtype=bool)
    if zoom is not None and data.get("lv"):
        level = np.full(len(xy), data["z0"], dtype=np.int64)
        ends = np.zeros(len(xy), dtype=bool)
        ends[offsets[:-1][counts > 0]] = True
        ends[offsets[1:][counts > 0] - 1] = True
        raw = np.frombuffer(data["lv"].encode("ascii"), dtype=np.uint8)
        level[~ends] = data["z0"] + _VALUE_OF[raw]
        shown = level <= max(zoom, data["z0"])
    codes = unpack_unsigned(data["refs"])
    ring_arcs = unpack_unsigned(data["ra"])
    n = data["n"]
    fp = unpack_unsigned(data["fp"]) if data.get("fp") else np.ones(n, dtype=np.int64)
    n_polys = int(fp.sum())
    pr = unpack_unsigned(data["pr"]) if data.get("pr") else np.ones(n_polys, dtype=np.int64)
    arcs = []
    next_new = 0
    for code in codes.tolist():
        if code == 0:
            arcs.append(next_new)
            next_new += 1
        else:
            back, backwards = (code + 1) // 2, code % 2 == 0
            a = next_new - back
            arcs.append(~a if backwards else a)
    out: list[list[list[np.ndarray]] | None] = []
    r = p = k = 0
    for f in range(n):
        polygons = []
        for _ in range(int(fp[f])):
            rings = []
            for _ in range(int(pr[p])):
                parts = []
                for _ in range(int(ring_arcs[r])):
                    a = arcs[k]
                    k += 1
                    i = ~a if a < 0 else a
                    sel = np.arange(offsets[i], offsets[i + 1])
                    sel = sel[shown[sel]]
                    pts = xy[sel][::-1] if a < 0 else xy[sel]
                    parts.append(pts[:-1])  # the next arc (or the ring's start) repeats it
                r += 1
                rings.append(np.concatenate(parts) if parts else np.zeros((0, 2), np.int64))
            p += 1
            polygons.append(rings)
        out.append(polygons or None)
    return out
