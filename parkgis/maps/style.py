"""What a map colours parcels by, with which colours, and its words.

Colours come from the vocabulary data (``parkgis/model/vocab.toml``): a
parcel coloured by acquisition status takes its term's colour. Zones have no
vocabulary; they take a fixed qualitative palette in sorted order, so the
same park always gets the same colours.

Pure: takes frames, returns frames and plain values.

Examples
--------
>>> import pandas as pd
>>> codes, cats = parcel_classes(
...     pd.DataFrame({"acquisition_status": ["acquired", "unacquired", "acquired"]}),
...     by="acquisition_status",
... )
>>> codes.tolist()
['acquired', 'unacquired', 'acquired']
>>> [(c.code, c.label, c.colour) for c in cats]
[('unacquired', '未征收', '#bdbdbd'), ('acquired', '已征收', '#fee08b')]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from parkgis.maps.basemaps import MapError
from parkgis.model.schema import field_label
from parkgis.model.vocab import ACQUISITION, LAND_USE, STAGE, TITLE, Vocabulary

__all__ = [
    "BLANK",
    "COLOR_BY",
    "Category",
    "color_by_field",
    "legend_title",
    "parcel_classes",
    "ui_strings",
]

BLANK = ""
"""The class code of parcels with no value."""

COLOR_BY: Mapping[str, str] = {
    "acquisition_status": "acquisition_status",
    "status": "acquisition_status",
    "stage": "stage",
    "title": "title_status",
    "title_status": "title_status",
    "land_use": "land_use",
    "zone": "zone",
}
"""Accepted ``color_by`` names → the field they colour by."""

_VOCAB: Mapping[str, Vocabulary] = {
    "acquisition_status": ACQUISITION,
    "stage": STAGE,
    "title_status": TITLE,
    "land_use": LAND_USE,
}
# ColorBrewer Set3 (12 classes), for fields without a vocabulary (zones).
_PALETTE = (
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
    "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f",
)  # fmt: skip
_BLANK_COLOUR = "#f7f7f7"
_UNKNOWN_COLOUR = "#ff00ff"  # a value that is not a term: it must stand out
_BLANK_LABEL = {
    "stage": ("无项目/未填", "No project / not given"),
    "zone": ("未分片区", "No zone"),
}


@dataclass(frozen=True)
class Category:
    """One class of the legend: its code, label and colour."""

    code: str
    label: str
    colour: str


def color_by_field(color_by: str) -> str:
    """The parcel field a ``color_by`` name stands for.

    Raises
    ------
    MapError
        For a name that is not one of :data:`COLOR_BY`.

    Examples
    --------
    >>> color_by_field("title")
    'title_status'
    """
    field = COLOR_BY.get(color_by.strip().lower())
    if field is None:
        msg = f"color_by {color_by!r} is not known; use one of {', '.join(sorted(set(COLOR_BY)))}"
        zh = f"未知的着色字段 color_by {color_by!r}；请使用 {'、'.join(sorted(set(COLOR_BY)))} 之一"
        raise MapError(msg, zh=zh)
    return field


def parcel_classes(
    parcels: pd.DataFrame,
    *,
    by: str,
    lang: str = "zh",
    projects: pd.DataFrame | None = None,
) -> tuple[pd.Series, list[Category]]:
    """The class of every parcel and the classes present, in legend order.

    Parameters
    ----------
    parcels
        Parcels with canonical columns.
    by
        A ``color_by`` name (``acquisition_status``, ``stage``, ``title``,
        ``land_use``, ``zone``).
    lang
        Language of the labels.
    projects
        The project table, for ``stage`` (a parcel takes the stage of its
        project, joined by ``project_id``) and for a ``title`` status that
        only the project records.

    Returns
    -------
    codes, categories
        A Series of class codes aligned with ``parcels`` (``""`` for no
        value), and the classes present: vocabulary order, then values that
        are not terms (shown as written, in magenta), then the blank class.
    """
    field = color_by_field(by)
    values = _values(parcels, field, projects)
    vocab = _VOCAB.get(field)
    present = set(values.dropna())
    cats: list[Category] = []
    codes = values.astype(object).where(values.notna(), BLANK)
    if vocab is not None:
        codes = codes.map(lambda v: vocab.code(v) if v != BLANK and v in vocab else v)
        present = set(codes) - {BLANK}
        cats += [Category(t.code, t.label(lang), t.colour) for t in vocab if t.code in present]
        unknown = sorted(v for v in present if v not in vocab)
        cats += [Category(v, v, _UNKNOWN_COLOUR) for v in unknown]
    else:
        ordered = sorted(str(v) for v in present)
        codes = codes.map(lambda v: v if v == BLANK else str(v))
        cats += [Category(v, v, _PALETTE[i % len(_PALETTE)]) for i, v in enumerate(ordered)]
    if (codes == BLANK).any():
        zh, en = _BLANK_LABEL.get(field, ("未填", "Not given"))
        cats.append(Category(BLANK, zh if lang == "zh" else en, _BLANK_COLOUR))
    return codes.rename(field), cats


def legend_title(by: str, lang: str = "zh") -> str:
    """The legend's title for a ``color_by`` name, e.g. 征收状态."""
    field = color_by_field(by)
    vocab = _VOCAB.get(field)
    return vocab.title(lang) if vocab is not None else field_label(field, lang)


def _values(parcels: pd.DataFrame, field: str, projects: pd.DataFrame | None) -> pd.Series:
    if field == "stage":
        return _project_column(parcels, projects, "stage")
    if field == "title_status":
        own = _column(parcels, "title_status")
        from_project = _project_column(parcels, projects, "title_status")
        return own.where(own.notna(), from_project)
    return _column(parcels, field)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    col = frame[name].astype(object)
    blank = col.isna() | col.map(lambda v: isinstance(v, str) and not v.strip())
    return col.where(~blank, None)


def _project_column(parcels: pd.DataFrame, projects: pd.DataFrame | None, name: str) -> pd.Series:
    if projects is None or "project_id" not in parcels.columns or name not in projects.columns:
        return pd.Series([None] * len(parcels), index=parcels.index, dtype=object)
    keyed = projects.dropna(subset=["project_id"]).drop_duplicates("project_id")
    lookup = dict(zip(keyed["project_id"].astype(str), keyed[name], strict=True))
    pid = _column(parcels, "project_id")
    out = pid.map(lambda p: lookup.get(str(p)) if p is not None else None)
    return _column(out.to_frame(name), name)


_UI: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "parcels": "地块",
        "labels": "地块标注",
        "constraints": "限制要素",
        "setbacks": "退让范围",
        "reserve": "储备片区(未征收)",
        "total": "合计",
        "count": "宗",
        "mu": "亩",
        "col_count": "宗数",
        "col_mu": "面积(亩)",
        "no_zone": "未分片区",
        "summary_total": "地块总面积",
        "summary_acquired": "已征收",
        "summary_acquiring": "征收中",
        "summary_available": "可供地(已征收或已平整、未分配，净可建设)",
        "summary_unacquired": "未征收",
        "summary_undrawn": "无图形、未绘制的地块",
        "project": "项目",
        "search": "搜索地块或项目…",
        "not_found": "未找到",
        "cancel": "取消",
        "fullscreen": "全屏",
        "exit_fullscreen": "退出全屏",
        "setback": "退让(m)",
        "setback_default": "默认值",
        "shift_note": (
            "注意：为与高德底图对齐，图上地块已偏移至GCJ-02坐标显示(约{m}米)，"
            "仅供查看，不可用于量算；存储数据未改变。"
        ),
        "area_note": "面积为CGCS2000椭球面积，按完整图形计算",
        "measure_locale": "cn",
    },
    "en": {
        "parcels": "Parcels",
        "labels": "Parcel labels",
        "constraints": "Constraints",
        "setbacks": "Setback corridors",
        "reserve": "Reserve zones (unacquired)",
        "total": "Total",
        "count": "parcels",
        "mu": "mu",
        "col_count": "Parcels",
        "col_mu": "Area (mu)",
        "no_zone": "No zone",
        "summary_total": "All parcels",
        "summary_acquired": "Acquired",
        "summary_acquiring": "Being acquired",
        "summary_available": "Available now (acquired or leveled, unallocated, net buildable)",
        "summary_unacquired": "Unacquired",
        "summary_undrawn": "Parcels without geometry, not drawn",
        "project": "Project",
        "search": "Search parcel or project…",
        "not_found": "Not found",
        "cancel": "Cancel",
        "fullscreen": "Full screen",
        "exit_fullscreen": "Exit full screen",
        "setback": "Setback (m)",
        "setback_default": "default",
        "shift_note": (
            "Note: to line up with the Gaode basemap, overlays are displayed shifted to "
            "GCJ-02 (about {m} m). For viewing only, not for measuring; the stored data "
            "is unchanged."
        ),
        "area_note": "Areas: CGCS2000 ellipsoidal, from the full geometry",
        "measure_locale": "en",
    },
}


def ui_strings(lang: str = "zh") -> dict[str, str]:
    """The map's own words in ``lang`` (``zh`` or ``en``).

    Examples
    --------
    >>> ui_strings("en")["parcels"]
    'Parcels'
    """
    if lang not in _UI:
        raise MapError(
            f"language {lang!r} is not supported; use zh or en",
            zh=f"不支持语言 {lang!r}；请使用 zh 或 en",
        )
    return dict(_UI[lang])
