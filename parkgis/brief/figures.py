"""The pictures of a briefing, drawn with matplotlib: a static map and three charts.

- **Map**: parcels coloured by acquisition status (the vocabulary's colours)
  and labelled by id, the scope outlined, constraint corridors hatched, a
  legend, a scale bar in metres and a north arrow pointing to true north —
  drawn in the park's local CGCS2000 Gauss-Kruger zone, so metres are true.
  No tile service is used.
- **Charts**: mu by status (one stacked bar), land available against demand
  quarter by quarter with the shortfall shaded, target progress bars.

Chinese text needs a CJK font. :func:`find_cjk_font` looks for Noto Sans/Serif
CJK, Source Han, Microsoft YaHei, PingFang, SimHei, WenQuanYi and others among
matplotlib's fonts. With none (or ``font="none"``, or ``PARKGIS_CJK_FONT=none``)
a :class:`CJKFontWarning` is issued once per briefing and the pictures fall
back to English labels; text that only exists in Chinese (a zone's name, a
metric) is replaced by an id or a number, so no box ever stands for a missing
glyph.

matplotlib is imported inside the functions: importing this module is cheap.
Every picture is a PNG, the same bytes for the same briefing.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from parkgis.brief.content import Briefing, format_number
from parkgis.brief.text import t
from parkgis.model.vocab import ACQUISITION, VOCABULARIES

__all__ = [
    "CJK_FONTS",
    "FONT_ENV",
    "CJKFontWarning",
    "FontChoice",
    "choose_font",
    "find_cjk_font",
    "quarter_series",
    "render_figures",
]

_IMAGE_FORMAT: ContextVar[str] = ContextVar("parkgis_image_format", default="png")

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "SimHei",
    "Heiti SC",
    "STHeiti",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "SimSun",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Arial Unicode MS",
)
"""CJK fonts looked for, in order of preference (simplified Chinese first)."""

FONT_ENV = "PARKGIS_CJK_FONT"
"""Environment variable: a font family to use, or ``none`` to use no CJK font."""

_DPI = 200
_ATLAS_DPI = 150
_TEXT_WIDTH_IN = 6.5  # A4 less 2 × 20 mm margins is 6.69 in
_UNKNOWN_COLOUR = "#ffffff"


class CJKFontWarning(UserWarning):
    """No CJK font was found: the briefing's pictures use English labels."""


@dataclass(frozen=True)
class FontChoice:
    """The font the pictures use, and the language of their labels."""

    family: str | None
    lang: str

    @property
    def cjk(self) -> bool:
        """True when a CJK font was found."""
        return self.family is not None


def find_cjk_font(candidates: Iterable[str] = CJK_FONTS) -> str | None:
    """The first of ``candidates`` that matplotlib knows, else None.

    Examples
    --------
    >>> find_cjk_font(["No Such Font"]) is None
    True
    """
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in candidates if name in known), None)


def choose_font(lang: str, *, font: str = "auto") -> FontChoice:
    """Pick the pictures' font; warn once when Chinese text cannot be drawn.

    Parameters
    ----------
    lang
        The briefing's language.
    font
        ``auto`` (the ``PARKGIS_CJK_FONT`` variable if set, else the first
        font of :data:`CJK_FONTS` found), ``none`` (no CJK font: English
        labels), or a font family name.
    """
    wanted = os.environ.get(FONT_ENV, "").strip() if font == "auto" else font
    if wanted.lower() == "none":
        family = None
    elif wanted and wanted.lower() != "auto":
        family = find_cjk_font([wanted])
    else:
        family = find_cjk_font()
    if family is None:
        msg = (
            f"no CJK font found ({wanted or ', '.join(CJK_FONTS[:6]) + ' …'}): the briefing's "
            f"map and charts use English labels. Install one (Debian: apt-get install "
            f"fonts-noto-cjk) or name one with {FONT_ENV}=FAMILY"
        )
        warnings.warn(msg, CJKFontWarning, stacklevel=3)
        return FontChoice(None, "en")
    return FontChoice(family, lang)


def render_figures(
    b: Briefing, keys: Iterable[str], *, font: str = "auto", image_format: str = "png"
) -> dict[str, bytes]:
    """Draw the pictures named by ``keys`` as PNG (or, ``image_format="svg"``, SVG) bytes.

    Keys: ``map``, ``status_chart``, ``quarter_chart``, ``target_chart`` and
    ``atlas:<parcel id>``. SVG keeps the map and charts as vectors (the PDF
    briefing uses it); its text is drawn as outlines, so no font is needed
    to show it.
    """
    import matplotlib

    choice = choose_font(b.lang, font=font)
    token = _IMAGE_FORMAT.set(image_format)
    rc = {
        "svg.hashsalt": "parkgis",
        "font.family": "sans-serif",
        "font.sans-serif": [*([choice.family] if choice.family else []), "DejaVu Sans"],
        "axes.unicode_minus": False,
    }
    out = {}
    with matplotlib.rc_context(rc), _format_reset(token):
        for key in keys:
            if key == "map":
                out[key] = _map_png(b, choice)
            elif key == "status_chart":
                out[key] = _status_png(b, choice)
            elif key == "quarter_chart":
                out[key] = _quarter_png(b, choice)
            elif key == "target_chart":
                out[key] = _target_png(b, choice)
            elif key.startswith("atlas:"):
                out[key] = _map_png(b, choice, focus=key.removeprefix("atlas:"))
            else:
                raise KeyError(f"no figure {key!r}")
    return out


@contextmanager
def _format_reset(token: Any) -> Iterator[None]:
    try:
        yield
    finally:
        _IMAGE_FORMAT.reset(token)


# --------------------------------------------------------------------------- text


def _safe(text: str, choice: FontChoice, fallback: str) -> str:
    """``text`` if the font can draw it, else ``fallback`` (never tofu)."""
    if choice.cjk or all(ord(c) < 0x250 for c in text):
        return text
    return fallback


def _status_label(code: str, choice: FontChoice) -> str:
    if code in ACQUISITION:
        return str(ACQUISITION.label(code, lang=choice.lang))
    return _safe(code, choice, "?")


# --------------------------------------------------------------------------- map


def _map_png(b: Briefing, choice: FontChoice, *, focus: str | None = None) -> bytes:
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    data = b.map
    parcels = data.parcels
    if focus is None:
        minx, miny, maxx, maxy = parcels.total_bounds
        pad = 0.04 * max(maxx - minx, maxy - miny)
        dpi = _DPI
    else:
        geom = parcels.geometry[parcels["parcel_id"] == focus].iloc[0]
        minx, miny, maxx, maxy = geom.bounds
        half = max(maxx - minx, maxy - miny, 150.0) * 1.1
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        minx, maxx, miny, maxy = cx - half, cx + half, cy - half * 0.7, cy + half * 0.7
        pad = 0.0
        dpi = _ATLAS_DPI
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    aspect = (maxy - miny) / max(maxx - minx, 1.0)
    width = _TEXT_WIDTH_IN if focus is None else _TEXT_WIDTH_IN * 0.85
    map_height = min(max(width * 0.98 * aspect + 0.05, 2.0), 7.5)
    legend_height = 0.5 if focus is None else 0.0
    fig = Figure(figsize=(width, map_height + legend_height), dpi=dpi)
    bottom = legend_height / (map_height + legend_height)
    ax = fig.add_axes((0.01, bottom, 0.98, 1 - bottom - 0.01))
    ax.set_axis_off()

    in_view = parcels.cx[minx:maxx, miny:maxy]
    for status, group in in_view.groupby(in_view["acquisition_status"].fillna(""), sort=False):
        colour = ACQUISITION.colour(status) if status in ACQUISITION else _UNKNOWN_COLOUR
        scoped = group[group["in_scope"]] if focus is None else group[group["parcel_id"] == focus]
        others = group.drop(scoped.index)
        if len(others):
            others.plot(
                ax=ax, color=colour, edgecolor="#555555", linewidth=0.4, alpha=0.5, aspect=None
            )
        if len(scoped):
            scoped.plot(ax=ax, color=colour, edgecolor="#000000", linewidth=1.6, aspect=None)
    corridor_kinds = _draw_constraints(ax, data, choice)
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal", adjustable="box")
    _draw_labels(ax, fig, in_view, focus, choice)
    _scale_bar(ax, minx, maxx, miny, maxy)
    _north_arrow(ax, data.north_deg, choice)

    if focus is None:
        handles = [
            Patch(
                facecolor=ACQUISITION.colour(code),
                edgecolor="#555555",
                label=_status_label(code, choice),
            )
            for code in ACQUISITION.codes
            if (parcels["acquisition_status"] == code).any()
        ]
        if (~parcels["acquisition_status"].isin(ACQUISITION.codes)).any():
            handles.append(Patch(facecolor=_UNKNOWN_COLOUR, edgecolor="#555555", label="?"))
        handles.append(
            Patch(
                facecolor="none",
                edgecolor="#000000",
                linewidth=1.6,
                label=t("legend_scope", choice.lang),
            )
        )
        kinds = VOCABULARIES["constraint_kind"]
        for kind in corridor_kinds:
            label = kinds.label(kind, lang=choice.lang) if kind in kinds else "?"
            handles.append(
                Patch(
                    facecolor=_kind_colour(kind),
                    alpha=0.35,
                    hatch="////",
                    edgecolor=_kind_colour(kind),
                    label=t("legend_corridor", choice.lang, kind=label),
                )
            )
        fig.legend(
            handles=handles,
            loc="lower center",
            ncol=min(len(handles), 5),
            fontsize=7,
            frameon=False,
            bbox_to_anchor=(0.5, 0.0),
        )
    return _png(fig)


def _draw_constraints(ax: Any, data: Any, choice: FontChoice) -> list[str]:
    kinds: list[str] = []
    for kind, group in data.corridors.groupby(data.corridors["kind"].fillna(""), sort=False):
        colour = _kind_colour(kind)
        group.plot(
            ax=ax,
            facecolor=colour,
            edgecolor=colour,
            alpha=0.3,
            hatch="////",
            linewidth=0.5,
            aspect=None,
        )
        kinds.append(str(kind))
    lines = data.constraints[data.constraints.geom_type.str.contains("Line")]
    for kind, group in lines.groupby(lines["kind"].fillna(""), sort=False):
        group.plot(ax=ax, color=_kind_colour(kind), linewidth=1.0, linestyle="--", aspect=None)
    return kinds


def _kind_colour(kind: object) -> str:
    vocab = VOCABULARIES["constraint_kind"]
    return vocab.colour(kind) if isinstance(kind, str) and kind in vocab else "#7f7f7f"


def _draw_labels(
    ax: Any, fig: Any, parcels: Any, focus: str | None, choice: FontChoice
) -> list[Any]:
    """Label parcels by id where a label fits; return the labels drawn.

    The label size follows the map's scale: the typical parcel's width on the
    page, capped at 5.5 pt (7 pt on an atlas page) and at least 3.5 pt, and a
    label shrinks to its own parcel's longer side. Labels are placed greedily
    by priority — the focus parcel, the parcels in scope, then the larger —
    each only where its box (in display coordinates, with the white halo)
    meets no label placed before it and lies inside the map; the others are
    left to the parcel table.
    """
    import matplotlib.patheffects as pe
    import numpy as np
    import shapely

    many = len(parcels) > 150
    ax.apply_aspect()
    x0, x1 = ax.get_xlim()
    width_pt = ax.get_position().width * fig.get_figwidth() * 72
    metres_per_pt = (x1 - x0) / width_pt
    if many:
        keep = parcels["in_scope"].to_numpy(dtype=bool) | (parcels["parcel_id"] == focus).to_numpy()
        numbers = np.flatnonzero(keep) + 1
        parcels = parcels[keep]
    else:
        numbers = np.arange(1, len(parcels) + 1)
    if not len(parcels):
        return []
    geoms = np.asarray(parcels.geometry.array, dtype=object)
    bounds = shapely.bounds(geoms)
    spans = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]) / metres_per_pt
    labels = [
        _safe(str(pid), choice, f"#{n}")
        for pid, n in zip(parcels["parcel_id"].tolist(), numbers, strict=True)
    ]
    base = 7.0 if focus is not None else 5.5
    typical = float(np.median(spans)) / (0.62 * max(float(np.median([len(x) for x in labels])), 1))
    scale_size = max(3.5, min(base, typical))  # the map's scale: labels no larger than a parcel
    at = shapely.get_coordinates(shapely.point_on_surface(geoms))
    xy = ax.transData.transform(at)
    priority = np.lexsort(
        (
            -shapely.area(geoms),
            ~parcels["in_scope"].to_numpy(dtype=bool),
            (parcels["parcel_id"] != focus).to_numpy(),
        )
    )
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if hasattr(fig.canvas, "get_renderer") else FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    px_per_pt = fig.dpi / 72
    halo = 1.5 * px_per_pt  # the white stroke around the letters
    placed = _Boxes()
    drawn: list[Any] = []
    for k in priority:
        label = labels[k]
        minx, miny, maxx, maxy = bounds[k]
        rotation = 90 if (maxy - miny) > 1.3 * (maxx - minx) else 0
        size = max(3.5, min(scale_size, spans[k] / (0.62 * max(len(label), 1))))
        # A generous estimate first (wide CJK characters count as 1 em), then the real box.
        em = size * px_per_pt
        w = em * sum(1.0 if ord(ch) > 0x2E7F else 0.62 for ch in label) + 2 * halo
        h = 1.25 * em + 2 * halo
        w, h = (h, w) if rotation else (w, h)
        cx, cy = xy[k]
        guess = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        if not _inside(guess, frame) or placed.meets(guess):
            continue
        text = ax.text(
            at[k, 0],
            at[k, 1],
            label,
            fontsize=size,
            ha="center",
            va="center",
            rotation=rotation,
            color="#111111",
            clip_on=True,
            path_effects=[pe.withStroke(linewidth=1.5, foreground="white")],
        )
        box = text.get_window_extent(renderer)
        real = (box.x0 - halo, box.y0 - halo, box.x1 + halo, box.y1 + halo)
        if not _inside(real, frame) or placed.meets(real):
            text.remove()
            continue
        placed.add(real)
        drawn.append(text)
    return drawn


class _Boxes:
    """Boxes placed so far, in a grid of cells for quick look-ups."""

    def __init__(self, cell: float = 40.0) -> None:
        self.cell = cell
        self.grid: dict[tuple[int, int], list[tuple[float, float, float, float]]] = {}

    def _cells(self, box: tuple[float, float, float, float]) -> Iterator[tuple[int, int]]:
        c = self.cell
        for i in range(int(box[0] // c), int(box[2] // c) + 1):
            for j in range(int(box[1] // c), int(box[3] // c) + 1):
                yield i, j

    def meets(self, box: tuple[float, float, float, float]) -> bool:
        """Whether ``box`` meets a box placed before (touching counts)."""
        for cell in self._cells(box):
            for o in self.grid.get(cell, ()):
                if box[0] <= o[2] and o[0] <= box[2] and box[1] <= o[3] and o[1] <= box[3]:
                    return True
        return False

    def add(self, box: tuple[float, float, float, float]) -> None:
        for cell in self._cells(box):
            self.grid.setdefault(cell, []).append(box)


def _inside(box: tuple[float, float, float, float], frame: Any) -> bool:
    return frame.x0 <= box[0] and box[2] <= frame.x1 and frame.y0 <= box[1] and box[3] <= frame.y1


def _scale_bar(ax: Any, minx: float, maxx: float, miny: float, maxy: float) -> None:
    span = maxx - minx
    target = span / 5
    exponent = 10 ** math.floor(math.log10(target))
    length = max(m * exponent for m in (1, 2, 2.5, 5) if m * exponent <= target)
    x, y = minx + span * 0.03, miny + (maxy - miny) * 0.04
    height = (maxy - miny) * 0.012
    backing = _rect((x - span * 0.015, y - height), length + span * 0.03, height * 5.5, "#ffffff")
    backing.set_alpha(0.75)
    backing.set_linewidth(0)
    ax.add_patch(backing)
    for k in range(4):
        ax.add_patch(
            _rect(
                (x + k * length / 4, y), length / 4, height, "#000000" if k % 2 == 0 else "#ffffff"
            )
        )
    unit, value = ("km", length / 1000) if length >= 1000 else ("m", length)
    ax.text(x, y + height * 1.8, "0", fontsize=6, ha="center", va="bottom")
    ax.text(x + length, y + height * 1.8, f"{value:g} {unit}", fontsize=6, ha="center", va="bottom")


def _rect(xy: tuple[float, float], w: float, h: float, colour: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle(xy, w, h, facecolor=colour, edgecolor="#000000", linewidth=0.5)


def _north_arrow(ax: Any, north_deg: float, choice: FontChoice) -> None:
    import matplotlib.patheffects as pe

    angle = math.radians(north_deg)
    cx, cy, r = 0.94, 0.86, 0.06
    dx, dy = math.sin(angle) * r, math.cos(angle) * r
    ax.annotate(
        "",
        xy=(cx + dx, cy + dy),
        xytext=(cx - dx, cy - dy),
        xycoords="axes fraction",
        arrowprops={
            "arrowstyle": "-|>,head_width=0.35,head_length=0.8",
            "color": "#000000",
            "linewidth": 1.2,
        },
    )
    ax.text(
        cx + dx * 1.6,
        cy + dy * 1.6,
        t("north", choice.lang),
        transform=ax.transAxes,
        fontsize=8,
        ha="center",
        va="center",
        fontweight="bold",
        path_effects=[pe.withStroke(linewidth=2, foreground="white")],
    )


# --------------------------------------------------------------------------- charts


def _status_png(b: Briefing, choice: FontChoice) -> bytes:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(_TEXT_WIDTH_IN, 1.5), dpi=_DPI)
    ax = fig.add_axes((0.03, 0.45, 0.94, 0.4))
    total = sum(mu for _, _, mu in b.status_mu) or 1.0
    left = 0.0
    for code, _count, mu in b.status_mu:
        colour = ACQUISITION.colour(code) if code in ACQUISITION else _UNKNOWN_COLOUR
        ax.barh(
            [0],
            [mu],
            left=[left],
            color=colour,
            edgecolor="#555555",
            linewidth=0.5,
            label=f"{_status_label(code, choice)} {format_number(mu, decimals=1)}",
        )
        if mu / total > 0.06:
            ax.text(
                left + mu / 2,
                0,
                format_number(mu, decimals=1),
                ha="center",
                va="center",
                fontsize=7,
            )
        left += mu
    ax.set_xlim(0, left or 1.0)
    ax.set_yticks([])
    ax.set_xlabel(t("chart_mu", choice.lang), fontsize=7)
    ax.tick_params(labelsize=7)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.55),
        ncol=min(len(b.status_mu), 6),
        fontsize=7,
        frameon=False,
    )
    return _png(fig)


def _quarter_png(b: Briefing, choice: FontChoice) -> bytes:
    from matplotlib.figure import Figure

    series = quarter_series(b)
    names, supply, demand = series["quarter"], series["supply_mu"], series["demand_mu"]
    short, overdue = series["shortfall_mu"], series["overdue_mu"]
    fig = Figure(figsize=(_TEXT_WIDTH_IN, 2.8), dpi=_DPI)
    ax = fig.add_axes((0.09, 0.22, 0.88, 0.72))
    x = list(range(len(names)))
    ax.bar(x, supply, width=0.6, color="#66bd63", label=t("chart_supply", choice.lang))
    if any(v > 0 for v in overdue):
        # Overdue land beside each bar, outlined only: it is not counted as supply.
        ax.bar(
            [k + 0.38 for k in x],
            overdue,
            width=0.14,
            fill=False,
            edgecolor="#7f7f7f",
            linestyle="--",
            label=t("chart_overdue", choice.lang),
        )
    steps_x = [v for k in x for v in (k - 0.45, k + 0.45)]
    steps_y = [v for d in demand for v in (d, d)]
    ax.plot(steps_x, steps_y, color="#08306b", linewidth=1.5, label=t("chart_demand", choice.lang))
    shown = [k for k, s in enumerate(short) if s > 0]
    ax.bar(
        [x[k] for k in shown],
        [short[k] for k in shown],
        bottom=[supply[k] for k in shown],
        width=0.6,
        color="#d73027",
        alpha=0.35,
        hatch="///",
        edgecolor="#d73027",
        label=t("chart_shortfall", choice.lang),
    )
    for k, s in enumerate(short):
        if s > 0:
            ax.text(
                k,
                supply[k] + s / 2,
                format_number(s, decimals=1),
                ha="center",
                va="center",
                fontsize=7,
                color="#7f0000",
            )
    ax.set_xticks(x, names)
    ax.set_ylabel(t("chart_mu", choice.lang), fontsize=8)
    ax.tick_params(labelsize=7)
    top = [*supply, *overdue, *[s + d for s, d in zip(supply, short, strict=True)], 1.0]
    ax.set_ylim(0, max(top) * 1.15)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4, fontsize=7, frameon=False)
    return _png(fig)


def quarter_series(b: Briefing) -> dict[str, list[Any]]:
    """What the quarterly chart draws, per quarter: the reserve timeline's own figures.

    ``supply_mu`` (green bars) counts only available land and land whose
    expected date has not passed; ``shortfall_mu`` is shaded above it;
    ``overdue_mu`` is outlined beside it, not counted.
    """
    keys = ("quarter", "supply_mu", "demand_mu", "shortfall_mu", "overdue_mu")
    return {key: [q.get(key, 0.0) for q in b.reserve["by_quarter"]] for key in keys}


def _target_png(b: Briefing, choice: FontChoice) -> bytes:
    from matplotlib.figure import Figure

    rows = b.targets["targets"]
    height = 0.45 * len(rows) + 0.9
    fig = Figure(figsize=(_TEXT_WIDTH_IN, height), dpi=_DPI)
    ax = fig.add_axes((0.3, 0.7 / height, 0.66, 1 - 1.0 / height))
    labels = [
        _safe(str(r["metric"]), choice, t("target_n", choice.lang, n=k + 1))
        for k, r in enumerate(rows)
    ]
    y = list(range(len(rows)))[::-1]
    labelled = False
    for k, r in enumerate(rows):
        pct = r.get("pct")
        if pct is None:
            ax.text(
                1, y[k], t("chart_no_data", choice.lang), va="center", fontsize=7, color="#7f7f7f"
            )
            continue
        colour = "#1a9850" if r.get("on_track") else "#fdae61"
        ax.barh([y[k]], [min(pct, 120.0)], color=colour, height=0.6)
        ax.text(
            min(pct, 120.0) + 1, y[k], f"{format_number(pct, decimals=1)}%", va="center", fontsize=7
        )
        elapsed = r.get("elapsed_pct")
        if elapsed is not None:
            label = None if labelled else t("chart_elapsed", choice.lang)
            ax.plot(
                [elapsed, elapsed],
                [y[k] - 0.4, y[k] + 0.4],
                color="#000000",
                linewidth=1.2,
                label=label,
            )
            labelled = True
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlim(0, 130)
    ax.set_xlabel(t("chart_pct", choice.lang), fontsize=8)
    ax.tick_params(labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if labelled:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize=7, frameon=False)
    return _png(fig)


def _png(fig: Any) -> bytes:
    """The figure as PNG, or as SVG when :func:`render_figures` was asked for SVG."""
    buffer = io.BytesIO()
    if _IMAGE_FORMAT.get() == "svg":
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    else:
        fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
