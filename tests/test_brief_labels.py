"""The static map labels parcels only where a label fits: no label over another.

On a 10,000-parcel synthetic park (benchmarks/synthetic.py) and on the
briefing's map of the Yuanba sample, every drawn label's box (in display
coordinates, as matplotlib renders it) meets no other; the labels left out
are in the parcel table.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import parkgis
from benchmarks.synthetic import synthetic_park
from parkgis.brief import brief_content, figures
from parkgis.measure.crs import local_gk_crs


def boxes_of(fig, texts) -> np.ndarray:
    renderer = FigureCanvasAgg(fig).get_renderer()
    return np.array([tuple(t.get_window_extent(renderer).extents) for t in texts])


def assert_apart(boxes: np.ndarray) -> None:
    """No two boxes (x0, y0, x1, y1) intersect."""
    for k in range(len(boxes) - 1):
        rest = boxes[k + 1 :]
        meet = (
            (boxes[k, 0] < rest[:, 2])
            & (rest[:, 0] < boxes[k, 2])
            & (boxes[k, 1] < rest[:, 3])
            & (rest[:, 1] < boxes[k, 3])
        )
        assert not meet.any(), (k, boxes[k], rest[meet][:3])


def test_no_two_labels_meet_on_a_10k_map():
    park = synthetic_park(10_000)
    parcels = park.parcels.to_crs(local_gk_crs(105.96)).assign(in_scope=True)
    fig = Figure(figsize=(6.3, 6.3), dpi=200)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    ax.set_axis_off()
    minx, miny, maxx, maxy = parcels.total_bounds
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal", adjustable="box")
    choice = figures.FontChoice(family=None, lang="en")
    drawn = figures._draw_labels(ax, fig, parcels, None, choice)
    assert 100 < len(drawn) < len(parcels)  # many labels, but not one per parcel
    assert_apart(boxes_of(fig, drawn))
    assert len(ax.texts) == len(drawn)  # the labels that did not fit were taken away


@pytest.mark.filterwarnings("ignore::parkgis.brief.figures.CJKFontWarning")
def test_no_two_labels_meet_on_the_briefing_map(monkeypatch):
    seen = []
    draw = figures._draw_labels

    def recording(ax, fig, *args, **kwargs):
        texts = draw(ax, fig, *args, **kwargs)
        seen.append((fig, texts))
        return texts

    monkeypatch.setattr(figures, "_draw_labels", recording)
    b = brief_content(parkgis.read_park(), today=dt.date(2025, 6, 30))
    figures.render_figures(b, ["map"], font="none")
    [(fig, texts)] = seen
    assert texts
    assert_apart(boxes_of(fig, texts))


@pytest.mark.parametrize("n", [30, 3_000])
def test_labels_are_smaller_on_a_map_of_smaller_parcels(n):
    park = synthetic_park(n)
    parcels = park.parcels.to_crs(local_gk_crs(105.96)).assign(in_scope=True)
    fig = Figure(figsize=(6.3, 6.3), dpi=200)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    minx, miny, maxx, maxy = parcels.total_bounds
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal", adjustable="box")
    drawn = figures._draw_labels(ax, fig, parcels, None, figures.FontChoice(None, "en"))
    sizes = [t.get_fontsize() for t in drawn]
    assert max(sizes) <= (5.5 if n == 30 else 3.5 + 1e-9)
