"""Target progress: each target against its actual, and whether the pace is on track.

The percentage done is ``actual / target × 100``. Where the actual is blank
but the row carries the report's own ``reported_pct``, that is used and
marked ``basis = "reported"`` (not computed). A target is on track when its
percentage is at least the share of its period that has elapsed by ``today``
(a 2013 target on 30 June 2013 needs 49.6 %).

Periods are read as ``2013`` / ``2013年`` (the year), ``2013H1`` / ``2013上半年``,
``2013H2`` / ``2013下半年``, ``2013Q2`` and ``2013-01-01/2013-06-30``.

Pure: ``today`` is an argument; the shell reads the clock.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd

from parkgis.errors import DataError

__all__ = ["period_bounds", "target_figures", "target_progress"]

_YEAR = re.compile(r"^(\d{4})\s*年?度?$")
_HALF = re.compile(r"^(\d{4})\s*(?:年\s*)?(?:H([12])|([上下])半年)$", re.IGNORECASE)
_QUARTER = re.compile(r"^(\d{4})\s*(?:年\s*)?(?:Q([1-4])|第?([一二三四1-4])季度)$", re.IGNORECASE)
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:/|至|--|~)\s*(\d{4}-\d{2}-\d{2})$")
_CN_DIGIT = {"一": 1, "二": 2, "三": 3, "四": 4}
_COLUMNS = [
    "metric", "target", "actual", "unit", "period", "pct", "basis", "reported_pct",
    "elapsed_pct", "on_track",
]  # fmt: skip


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a target period.

    Raises
    ------
    DataError
        For a period that cannot be read.

    Examples
    --------
    >>> period_bounds("2013")
    (datetime.date(2013, 1, 1), datetime.date(2013, 12, 31))
    >>> period_bounds("2013上半年")
    (datetime.date(2013, 1, 1), datetime.date(2013, 6, 30))
    >>> period_bounds("2014Q3")
    (datetime.date(2014, 7, 1), datetime.date(2014, 9, 30))
    """
    text = str(period).strip()
    if m := _YEAR.match(text):
        year = int(m[1])
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if m := _HALF.match(text):
        year, first = int(m[1]), (m[2] == "1" or m[3] == "上")
        return (
            (dt.date(year, 1, 1), dt.date(year, 6, 30))
            if first
            else (dt.date(year, 7, 1), dt.date(year, 12, 31))
        )
    if m := _QUARTER.match(text):
        year = int(m[1])
        q = int(m[2]) if m[2] else _CN_DIGIT.get(m[3], 0) or int(m[3])
        start = dt.date(year, 3 * q - 2, 1)
        end = dt.date(year + 1, 1, 1) if q == 4 else dt.date(year, 3 * q + 1, 1)
        return start, end - dt.timedelta(days=1)
    if m := _RANGE.match(text):
        start, end = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
        if end >= start:
            return start, end
    msg = (
        f"target period {period!r} cannot be read; write it as 2013, 2013H1, 2013上半年, "
        f"2013Q2 or 2013-01-01/2013-06-30"
    )
    zh = (
        f"无法识别目标期限 {period!r}；请写成 2013、2013H1、2013上半年、2013Q2 或 "
        f"2013-01-01/2013-06-30"
    )
    raise DataError(msg, zh=zh)


def target_progress(targets: pd.DataFrame, *, today: dt.date) -> pd.DataFrame:
    """Each target's percentage done and whether it is on pace.

    Parameters
    ----------
    targets
        The targets table (``metric``, ``target``, ``actual``, ``unit``,
        ``period``, ``reported_pct``).
    today
        The date the pace is judged at.

    Returns
    -------
    pandas.DataFrame
        ``metric``, ``target``, ``actual``, ``unit``, ``period``, ``pct``,
        ``basis`` (``"computed"``: actual / target; ``"reported"``: the
        report's own percentage, used where the actual is blank; None when
        neither is known), ``reported_pct``, ``elapsed_pct`` (share of the
        period elapsed by ``today``; None without a period) and ``on_track``
        (``pct >= elapsed_pct``; None when either is unknown).

    Raises
    ------
    DataError
        For a period that cannot be read.

    Examples
    --------
    >>> t = pd.DataFrame({"metric": ["投资"], "target": [10000.0], "actual": [9102.0],
    ...                   "period": ["2013"]})
    >>> row = target_progress(t, today=dt.date(2013, 6, 30)).iloc[0]
    >>> round(float(row["pct"]), 2), row["basis"], bool(row["on_track"])
    (91.02, 'computed', True)
    """
    rows = []
    for _, row in targets.iterrows():
        target = _number(row.get("target"))
        actual = _number(row.get("actual"))
        reported = _number(row.get("reported_pct"))
        if target is not None and actual is not None and target != 0:
            pct, basis = actual / target * 100, "computed"
        elif actual is None and reported is not None:
            pct, basis = reported, "reported"
        else:
            pct, basis = None, None
        period = row.get("period")
        elapsed = None
        if isinstance(period, str) and period.strip():
            try:
                start, end = period_bounds(period)
            except DataError as exc:
                raise DataError(
                    f"targets row metric={row.get('metric')}: {exc}",
                    zh=f"目标任务（metric={row.get('metric')}）：{exc.text('zh')}",
                ) from None
            span = (end - start).days + 1
            done = min(max((today - start).days + 1, 0), span)
            elapsed = done / span * 100
        on_track = None if pct is None or elapsed is None else bool(pct >= elapsed)
        rows.append(
            {
                "metric": row.get("metric"),
                "target": target,
                "actual": actual,
                "unit": row.get("unit"),
                "period": period,
                "pct": pct,
                "basis": basis,
                "reported_pct": reported,
                "elapsed_pct": elapsed,
                "on_track": on_track,
            }
        )
    out = pd.DataFrame(rows, columns=_COLUMNS, dtype=object)
    for column in ("target", "actual", "pct", "reported_pct", "elapsed_pct"):
        out[column] = out[column].astype(float)
    out["on_track"] = out["on_track"].astype(object)
    return out


def target_figures(targets: pd.DataFrame, *, today: dt.date) -> dict[str, Any]:
    """Target progress as figures: ``today``, ``targets`` (one object per target), ``behind``.

    ``behind`` lists the metrics whose pace is not on track.
    """
    table = target_progress(targets, today=today)
    records = [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
        for r in table.to_dict(orient="records")
    ]
    return {
        "today": today.isoformat(),
        "targets": records,
        "behind": [r["metric"] for r in records if r["on_track"] is False],
    }


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) and pd.isna(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DataError(
            f"target value {value!r} is not a number",
            zh=f"目标任务中的数值 {value!r} 不是数字；请更正",
        ) from None
    return None if np.isnan(number) else number
