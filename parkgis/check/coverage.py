"""The parcels as a coverage: which edges they share, and the land no parcel holds.

A park's parcels should tile the land: each edge is shared by the two parcels
on either side of it, once in each direction, and the edges that are not
shared are the park's outline and the rims of its holes. :func:`edge_balance`
sorts every edge of a layer this way in one pass over the coordinates (no
union, no overlay), so validation can

- skip the exact overlap test for neighbours that share an edge cleanly and
  own no other edge (:attr:`Edges.clean_pairs`, :attr:`Edges.suspect`);
- find the enclosed gaps as the faces of the unshared edges that no parcel
  covers (:func:`uncovered_faces`), instead of a union of the whole layer.

Pure core: no files, printing or clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["Edges", "edge_balance", "uncovered_faces"]

_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)


@dataclass(frozen=True)
class Edges:
    """The edges of a polygon layer, sorted by how the parcels on either side share them.

    Attributes
    ----------
    suspect
        Per geometry: it owns an edge that is not shared cleanly (an outline
        or a hole's rim, a duplicate, an edge that does not match its
        neighbour's vertex for vertex). A parcel that is not suspect has a
        neighbour across each of its edges, on the other side.
    clean_pairs
        Pairs ``i < j`` that share at least one edge cleanly (once in each
        direction, and no one else has it), as ``i * n + j``, sorted.
    unbalanced
        The edges across which the number of parcels changes (start and end
        points, shape ``(m, 2, 2)``): the outline, the rims of holes, and
        the edges of overlapping or mismatched parcels.
    """

    suspect: np.ndarray
    clean_pairs: np.ndarray
    unbalanced: np.ndarray


def edge_balance(geoms: np.ndarray) -> Edges:
    """Sort the edges of polygons by how the parcels on either side share them.

    Each edge is oriented so that its own polygon lies on its left; an edge
    shared by two neighbours then appears once in each direction. An edge
    whose directions do not cancel (an outline, two parcels on the same side)
    is *unbalanced*. Edges are compared exactly, coordinate for coordinate.

    Parameters
    ----------
    geoms
        Valid polygons and multipolygons (an object array).

    Examples
    --------
    >>> from shapely import box
    >>> edges = edge_balance(np.array([box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 0, 1, 1)]))
    >>> edges.suspect.tolist(), edges.clean_pairs.tolist(), len(edges.unbalanced)
    ([True, True, True], [], 12)
    >>> edge_balance(np.array([box(0, 0, 1, 1), box(1, 0, 2, 1)])).clean_pairs.tolist()
    [1]
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    empty = Edges(np.zeros(n, bool), np.zeros(0, np.int64), np.zeros((0, 2, 2)))
    if not n:
        return empty
    coords, ring_of, ring_owner, exterior = _ring_coordinates(geoms)
    if not len(exterior):
        return empty
    step = np.flatnonzero(ring_of[1:] == ring_of[:-1])  # segment k: coords[k] -> coords[k + 1]
    seg_ring = ring_of[step]
    owner = ring_owner[seg_ring]
    # The polygon lies left of an exterior ring drawn anticlockwise and of a hole drawn clockwise.
    inside_left = _ccw(coords, ring_of, step) == exterior
    x, y = coords[:, 0], coords[:, 1]
    forward = (x[step] < x[step + 1]) | ((x[step] == x[step + 1]) & (y[step] < y[step + 1]))
    sign = np.where(forward == inside_left[seg_ring], 1, -1)

    group, order = _groups(coords, step)
    count = np.bincount(group)
    net = np.bincount(group, weights=sign)
    seg_count, seg_net = count[group], net[group]
    clean = (seg_count == 2) & (seg_net == 0)
    suspect = np.zeros(n, bool)
    suspect[owner[~clean]] = True

    paired = order[clean[order]]  # clean segments, the two of each group side by side
    a, b = owner[paired[0::2]], owner[paired[1::2]]
    i, j = np.minimum(a, b), np.maximum(a, b)
    pairs = np.unique((i * n + j)[i != j].astype(np.int64))

    moved = step[seg_net != 0]
    unbalanced = np.stack([coords[moved], coords[moved + 1]], axis=1)
    return Edges(suspect, pairs, unbalanced)


def uncovered_faces(unbalanced: np.ndarray, tree: shapely.STRtree) -> np.ndarray:
    """The faces enclosed by unbalanced edges that no polygon of ``tree`` covers.

    These are the holes of the union of the polygons (land enclosed by
    parcels that no parcel holds), each as the polygon of its outer ring
    (an island of parcels inside a hole is part of it), as
    ``shapely.Polygon(interior_ring)`` of the union gives them.

    Parameters
    ----------
    unbalanced
        :attr:`Edges.unbalanced` of the polygons.
    tree
        The polygons.

    Examples
    --------
    >>> from shapely import box
    >>> ring = np.array([box(0, 0, 3, 1), box(0, 2, 3, 3), box(0, 1, 1, 2), box(2, 1, 3, 2)])
    >>> faces = uncovered_faces(edge_balance(ring).unbalanced, shapely.STRtree(ring))
    >>> [f.wkt for f in faces]
    ['POLYGON ((1 1, 1 2, 2 2, 2 1, 1 1))']
    """
    if not len(unbalanced):
        return np.zeros(0, dtype=object)
    lines = shapely.linestrings(unbalanced)
    noded = shapely.get_parts(shapely.union_all(lines))
    faces = shapely.get_parts(shapely.polygonize(noded))
    if not len(faces):
        return faces
    inside = shapely.point_on_surface(faces)
    held, _ = tree.query(inside, predicate="intersects")
    free = np.ones(len(faces), bool)
    free[held] = False
    # In a normal form (first vertex, orientation): the same hole measures the same to the
    # last bit whichever parcels it was found among.
    return shapely.normalize(shapely.polygons(shapely.get_exterior_ring(faces[free])))


def _ring_coordinates(geoms: np.ndarray) -> tuple[np.ndarray, ...]:
    """The x, y of every ring of polygons, without making a geometry per part or ring.

    Returns the coordinates (``(m, 2)``), the ring of each coordinate, the
    geometry of each ring and whether each ring is an exterior one.
    """
    _, coords, offsets = shapely.to_ragged_array(geoms, include_z=False)
    ring_offsets, part_offsets = offsets[0], offsets[1]
    parts = len(part_offsets) - 1
    if len(offsets) > 2:  # multipolygons: geometry -> parts
        part_owner = np.repeat(np.arange(len(geoms)), np.diff(offsets[2]))
    else:
        part_owner = np.arange(parts)
    rings = len(ring_offsets) - 1
    ring_owner = np.repeat(part_owner, np.diff(part_offsets))
    exterior = np.zeros(rings, bool)
    exterior[part_offsets[:-1][np.diff(part_offsets) > 0]] = True
    ring_of = np.repeat(np.arange(rings), np.diff(ring_offsets))
    return coords, ring_of, ring_owner, exterior


def _ccw(coords: np.ndarray, ring_of: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Whether each ring runs anticlockwise: the sign of its area (shoelace, from its first
    vertex), and GEOS's robust test where the area is too small for the sign to be sure."""
    rings = int(ring_of[-1]) + 1 if len(ring_of) else 0
    first = np.r_[0, np.flatnonzero(ring_of[1:] != ring_of[:-1]) + 1]
    dx = coords[:, 0] - coords[first, 0][ring_of]
    dy = coords[:, 1] - coords[first, 1][ring_of]
    cross = dx[step] * dy[step + 1] - dx[step + 1] * dy[step]
    twice = np.bincount(ring_of[step], weights=cross, minlength=rings)
    size = np.maximum.reduceat(np.abs(dx) + np.abs(dy), first) if rings else np.zeros(0)
    doubtful = np.flatnonzero(np.abs(twice) <= 1e-9 * size**2)
    ccw = twice > 0
    if len(doubtful):
        ends = np.r_[first[1:], len(coords)]
        rings_ = [shapely.linearrings(coords[first[r] : ends[r]]) for r in doubtful]
        ccw[doubtful] = shapely.is_ccw(np.asarray(rings_, dtype=object))
    return ccw


def _groups(coords: np.ndarray, step: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A group number per segment ``coords[step] -> coords[step + 1]`` (equal segments, in
    either direction, share one), and an order of the segments by group."""
    bits = np.ascontiguousarray(coords).view(np.uint64)
    with np.errstate(over="ignore"):
        point = (bits[:, 0] * _K1) ^ (bits[:, 1] * _K2)
        point ^= point >> np.uint64(31)
        point *= _K1
        key = point[step] + point[step + 1]  # the same either way round
    order = np.argsort(key)
    ordered = key[order]
    new = np.r_[True, ordered[1:] != ordered[:-1]]
    # A hash says which may be equal; the coordinates say which are.
    k = np.flatnonzero(~new)
    s0, s1 = step[order[k - 1]], step[order[k]]
    x, y = coords[:, 0], coords[:, 1]
    e0, e1 = s0 + 1, s1 + 1
    same = (x[s0] == x[s1]) & (y[s0] == y[s1]) & (x[e0] == x[e1]) & (y[e0] == y[e1])
    same |= (x[s0] == x[e1]) & (y[s0] == y[e1]) & (x[e0] == x[s1]) & (y[e0] == y[s1])
    if not same.all():  # two segments with one hash: sort by the coordinates themselves
        a, b = coords[step], coords[step + 1]
        swap = (b[:, 0] < a[:, 0]) | ((b[:, 0] == a[:, 0]) & (b[:, 1] < a[:, 1]))
        ends = np.hstack([np.where(swap[:, None], b, a), np.where(swap[:, None], a, b)])
        _, group = np.unique(ends, axis=0, return_inverse=True)
        group = group.ravel()
        return group, np.argsort(group)
    group = np.empty(len(key), np.int64)
    group[order] = np.cumsum(new) - 1
    return group, order
