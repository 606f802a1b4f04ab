"""The figures pages: the same tables as ``parkgis area``, ``reserve``, ``gaps``, ``targets``
and ``enforce``, built by the same library functions, with the same refusals.

Each figure is a :class:`Figure`: the tables to show, the one a CSV holds,
the sheets of a workbook (as ``--format xlsx`` writes them), and the notes
of the reading. Labels and codes are those of the CLI's CSV and Excel output
(:func:`parkgis.cli.land._for_tools`).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

import pandas as pd

from parkgis.check.reading import FIGURE_TABLES, Reading

__all__ = ["FIGURES", "Figure", "figure", "figure_csv", "figure_xlsx"]

FIGURES: dict[str, tuple[str, str]] = {
    "area": ("面积", "Area"),
    "reserve": ("土地储备与缺口", "Land reserve and shortfall"),
    "gaps": ("三个问题(批而未征、征而未供、供而未用)", "The three gaps"),
    "targets": ("目标任务进度", "Targets"),
    "enforce": ("卫片执法预检(权证风险)", "Enforcement pre-check (title risks)"),
}
"""The figures pages, by code: (Chinese, English) title."""


@dataclass
class Figure:
    """One figures page.

    Attributes
    ----------
    code
        A key of :data:`FIGURES`.
    tables
        (title, table) to show, codes still codes.
    csv
        The table a CSV download holds (the CLI's ``--format csv``).
    sheets
        The workbook's sheets (the CLI's ``--format xlsx``).
    notes
        The reading's notes (repairs, parcels left out).
    refused
        Why the figures are not given (the CLI's refusal), or None.
    """

    code: str
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    csv: pd.DataFrame | None = None
    sheets: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    refused: str | None = None


def figure(code: str, reading: Reading, *, today: dt.date, lang: str = "zh") -> Figure:
    """Build the figures page ``code`` for a park's reading, as its command does.

    Raises
    ------
    KeyError
        For a code that is not in :data:`FIGURES`.
    """
    from parkgis.cli.checked import RefusedError

    if code not in FIGURES:
        raise KeyError(code)
    blocking = reading.blocking(FIGURE_TABLES[code])
    if blocking:
        return Figure(code, refused=RefusedError(reading, code, blocking).text(lang))
    out = _BUILDERS[code](reading, today, lang)
    out.tables = [(title, _plain(frame)) for title, frame in out.tables]
    out.csv = None if out.csv is None else _plain(out.csv)
    out.sheets = {name: _plain(frame) for name, frame in out.sheets.items()}
    out.notes = reading.note_texts(lang)
    return out


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A table without geometry (as the CLI prints it)."""
    import geopandas as gpd

    if isinstance(frame, gpd.GeoDataFrame):
        return pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return frame


def figure_csv(fig: Figure, lang: str) -> bytes:
    """The CSV download: the CLI's ``--format csv`` (labels in ``lang``, UTF-8 with BOM)."""
    from parkgis.cli.common import emit
    from parkgis.cli.land import _labelled

    buffer = io.StringIO()
    if fig.csv is not None:
        emit(_labelled(fig.csv, lang), "csv", lang=lang, file=buffer)
    text = buffer.getvalue()
    return (text if text.startswith("\ufeff") else "\ufeff" + text).encode("utf-8")


def figure_xlsx(fig: Figure, lang: str) -> bytes:
    """The workbook download: the CLI's ``--format xlsx`` (one sheet per table)."""
    from parkgis.cli.land import _excel_ready, _for_tools

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in fig.sheets.items():
            _excel_ready(_for_tools(frame, lang)).to_excel(
                writer, sheet_name=name[:31], index=False
            )
    return buffer.getvalue()


# --------------------------------------------------------------------------- builders


def _area(reading: Reading, today: dt.date, lang: str) -> Figure:
    from parkgis.cli.checked import CheckedPark, area_rows
    from parkgis.land.tables import area_table

    table = area_rows(CheckedPark(reading), area_table(reading.measured.parcels), lang)
    return Figure("area", [(_title("area", lang), table)], table, {"area": table})


def _reserve(reading: Reading, today: dt.date, lang: str) -> Figure:
    from parkgis.cli.land import _closes_in_words, _figure_rows, _section
    from parkgis.land.buildable import buildable_table
    from parkgis.land.constraints import park_rules
    from parkgis.land.reserve import reserve_figures

    park = reading.measured
    table = buildable_table(park, rules=park_rules(park))
    figures = reserve_figures(park, as_of=today, buildable=table)
    summary = {k: v for k, v in figures.items() if not isinstance(v, (list, dict))}
    frames = {
        "by_quarter": pd.DataFrame(figures["by_quarter"]),
        "overdue_parcels": pd.DataFrame(figures["overdue_parcels"]),
        "projects_waiting": pd.DataFrame(figures["projects_waiting"]),
        "projects_excluded": pd.DataFrame(figures["projects_excluded"]),
    }
    tables = [(_title("reserve", lang), _figure_rows(_closes_in_words(summary, lang), lang))]
    tables += [(_section(name, lang), frame) for name, frame in frames.items() if len(frame)]
    sheets = {
        "summary": _figure_rows(summary, None),
        "by_quarter": frames["by_quarter"],
        "projects_waiting": frames["projects_waiting"],
        "projects_excluded": frames["projects_excluded"],
        "supply_parcels": pd.DataFrame(figures["supply_parcels"]),
        "assumptions": pd.DataFrame(figures["assumptions"]),
    }
    return Figure("reserve", tables, _figure_rows(summary, None), sheets)


def _gaps(reading: Reading, today: dt.date, lang: str) -> Figure:
    from parkgis.land.gaps import gap_figures, gaps_table

    park = reading.measured
    table = gaps_table(park, today=today)
    figures = gap_figures(park, today=today)
    summary = pd.DataFrame(figures["gaps"]).drop(columns=["parcel_ids"])
    summary["gap"] = summary["zh" if lang == "zh" else "en"]
    summary = summary.drop(columns=["zh", "en"]).rename(
        columns={"parcels": "count", "mu": "area_mu"}
    )
    sheets = {
        "gaps": pd.DataFrame(figures["gaps"]).assign(
            parcel_ids=lambda f: f["parcel_ids"].map(";".join)
        ),
        "parcels": table,
        "idle_alerts": pd.DataFrame(figures["idle_alerts"]),
    }
    return Figure("gaps", [(_title("gaps", lang), summary), ("", table)], table, sheets)


def _targets(reading: Reading, today: dt.date, lang: str) -> Figure:
    from parkgis.land.targets import target_progress

    table = target_progress(reading.measured.targets, today=today)
    return Figure("targets", [(_title("targets", lang), table)], table, {"targets": table})


def _enforce(reading: Reading, today: dt.date, lang: str) -> Figure:
    from parkgis.land.enforce import title_risks

    risks = title_risks(reading.measured)
    return Figure("enforce", [(_title("enforce", lang), risks)], risks, {"title_risks": risks})


_BUILDERS = {
    "area": _area,
    "reserve": _reserve,
    "gaps": _gaps,
    "targets": _targets,
    "enforce": _enforce,
}


def _title(code: str, lang: str) -> str:
    zh, en = FIGURES[code]
    return zh if lang == "zh" else en
