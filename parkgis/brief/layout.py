"""A briefing laid out as a list of blocks: headings, paragraphs, tables, figures.

The three writers (Word, HTML, Markdown) walk the same blocks, so they print
the same words and the same numbers. Every string here is final text in the
briefing's language; the writers only escape and style it.

Pure: no files, no drawing (figures are named by a key that
:mod:`parkgis.brief.figures` draws).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from parkgis.brief.content import Briefing, KeyFigure, ParcelRow, format_number
from parkgis.brief.text import t
from parkgis.model.schema import field_label
from parkgis.model.vocab import ACQUISITION, STAGE, STEP, TITLE

__all__ = [
    "Block",
    "Bullets",
    "Figure",
    "Heading",
    "Paragraph",
    "Table",
    "appendix_blocks",
    "briefing_blocks",
    "figure_keys",
]


@dataclass(frozen=True)
class Heading:
    """A heading: level 0 is the document title, 1 and 2 are sections."""

    text: str
    level: int = 1
    page_break: bool = False


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of body text; ``note`` is set smaller."""

    text: str
    note: bool = False


@dataclass(frozen=True)
class Bullets:
    """A bulleted list; each item is (bold lead, rest)."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    """A table with a caption; ``widths`` are shares of the text width, summing to 1.

    ``align`` holds ``l`` or ``r`` per column; ``key`` names the table for tests
    and tools (``key_figures``, ``parcels`` …).
    """

    key: str
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    align: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.align:
            object.__setattr__(self, "align", ("l",) * len(self.columns))


@dataclass(frozen=True)
class Figure:
    """A picture drawn by :mod:`parkgis.brief.figures`, at ``width`` of the text width."""

    key: str
    caption: str
    width: float = 1.0


Block = Heading | Paragraph | Bullets | Table | Figure


@dataclass
class _Counter:
    tables: int = 0
    figures: int = 0
    blocks: list[Block] = field(default_factory=list)

    def table(
        self,
        lang: str,
        key: str,
        caption: str,
        columns: list[str],
        rows: list[tuple[str, ...]],
        widths: list[float],
        align: str,
    ) -> None:
        self.tables += 1
        self.blocks.append(
            Table(
                key,
                t("table", lang, n=self.tables, text=caption),
                tuple(columns),
                tuple(rows),
                _shares(widths),
                tuple(align),
            )
        )

    def figure(self, lang: str, key: str, caption: str, width: float = 1.0) -> None:
        self.figures += 1
        self.blocks.append(Figure(key, t("figure", lang, n=self.figures, text=caption), width))


def briefing_blocks(b: Briefing) -> list[Block]:
    """Lay a briefing out, section by section.

    Sections: title and scope; key figures (land in scope, the park's reserve
    and shortfall, a scenario, charts, targets); the map; the parcels in
    scope (and their owners with ``include_private``); projects waiting for
    land; risks and the three gaps; changes; the cost estimate; notes; the
    atlas.
    """
    lang = b.lang
    out = _Counter()
    add = out.blocks.append
    add(Heading(b.title, 0))
    add(
        Paragraph(
            f"{t('meta_park', lang)}: {b.park_title} · {t('meta_date', lang)}: "
            f"{b.date.isoformat()} · {t('meta_scope', lang)}: {b.scope.description}"
        )
    )
    add(Paragraph(t("meta_source", lang, day=b.date.isoformat()), note=True))

    # Key figures
    add(Heading(t("h_figures", lang)))
    figures = [f for f in b.key_figures if f.group == "scope"]
    out.table(
        lang,
        "scope_figures",
        t("cap_scope_figures", lang),
        [t("col_figure", lang), t("col_value", lang)],
        [(f.label, f.text) for f in figures],
        [3, 1],
        "lr",
    )
    if b.status_mu:
        out.figure(lang, "status_chart", t("cap_status_chart", lang))
    park = [f for f in b.key_figures if f.group == "park"]
    out.table(
        lang,
        "key_figures",
        t("cap_park_figures", lang),
        [t("col_figure", lang), t("col_value", lang)],
        [(f.label, f.text) for f in park],
        [3, 1],
        "lr",
    )
    add(Paragraph(_waiting_sentence(b)))
    quarters = b.reserve.get("by_quarter") or []
    if quarters:
        for sentence in _quarter_sentences(b):
            add(Paragraph(sentence))
        out.figure(lang, "quarter_chart", t("cap_quarter_chart", lang))
        out.table(
            lang,
            "by_quarter",
            t("cap_quarters", lang, day=b.date.isoformat()),
            [field_label(c, lang) for c in _QUARTER_COLUMNS],
            [
                (q["quarter"], *(format_number(q[c]) for c in _QUARTER_COLUMNS[1:]))
                for q in quarters
            ],
            [1.1, 1, 1, 1, 1.2, 1, 1],
            "lrrrrrr",
        )
    scenario = [f for f in b.key_figures if f.group == "scenario"]
    if scenario:
        add(Heading(t("h_scenario", lang), 2))
        said = {
            f.key.removeprefix("scenario_").removesuffix("_mu"): _said(f, lang) for f in scenario
        }
        add(Paragraph(t("scenario_text", lang, **said)))
        out.table(
            lang,
            "scenario",
            t("cap_scenario", lang),
            [t("col_figure", lang), t("col_value", lang)],
            [(f.label, f.text) for f in scenario],
            [3, 1],
            "lr",
        )
    if b.targets["targets"]:
        add(Heading(t("h_targets", lang), 2))
        out.table(
            lang,
            "targets",
            t("cap_targets", lang),
            [field_label(c, lang) for c in _TARGET_COLUMNS],
            [_target_row(r, lang) for r in b.targets["targets"]],
            [2.6, 1.2, 1.2, 0.9, 1, 1, 1],
            "lrrlrrl",
        )
        out.figure(lang, "target_chart", t("cap_target_chart", lang))

    # Map
    add(Heading(t("h_map", lang)))
    out.figure(lang, "map", t("cap_map", lang, crs=b.map.crs))

    # Parcels
    add(Heading(t("h_parcels", lang)))
    out.table(
        lang,
        "parcels",
        t("cap_parcels", lang),
        [
            t(c, lang)
            for c in (
                "col_parcel",
                "col_name",
                "col_area",
                "col_status",
                "col_days",
                "col_project",
                "col_title",
            )
        ],
        [_parcel_row(r, lang) for r in b.parcels],
        [1.15, 1.6, 0.9, 1.3, 0.75, 1.6, 0.8],
        "llrlrll",
    )
    if b.include_private and any(r.private for r in b.parcels):
        add(Heading(t("h_private", lang), 2))
        names = [name for name, _ in next(r.private for r in b.parcels if r.private)]
        out.table(
            lang,
            "private",
            t("cap_private", lang),
            [t("col_parcel", lang), *(field_label(n, lang) for n in names)],
            [(r.parcel_id, *(v for _, v in r.private)) for r in b.parcels if r.private],
            [1] * (len(names) + 1),
            "l" * (len(names) + 1),
        )

    # Projects waiting
    add(Heading(t("h_waiting", lang)))
    if b.projects_waiting:
        out.table(
            lang,
            "projects_waiting",
            t("cap_waiting", lang),
            [field_label(c, lang) for c in _WAITING_COLUMNS],
            [_waiting_row(p, lang) for p in b.projects_waiting],
            [0.8, 2.2, 1.6, 0.9, 1, 1, 1, 1],
            "lllrrrrr",
        )
    else:
        add(Paragraph(t("waiting_none", lang)))

    # Land use by the third national land survey (三调), when its layers were given.
    if b.landuse is not None:
        _landuse_blocks(out, b)

    # Risks
    add(Heading(t("h_risks", lang)))
    here = [r for r in b.risks if r.in_scope]
    elsewhere = [r for r in b.risks if not r.in_scope]
    if b.scope.kind != "park":
        add(Heading(t("h_risks_scope", lang), 2))
    add(
        Bullets(tuple((f"{r.label}: {r.subject}", r.detail) for r in here))
        if here
        else Paragraph(t("risk_none", lang))
    )
    if not b.patches_checked:
        add(Paragraph(t("risk_no_patches", lang), note=True))
    add(Heading(t("h_gaps", lang), 2))
    out.table(
        lang,
        "gaps",
        t("cap_gaps", lang),
        [field_label(c, lang) for c in ("gap", "count", "area_mu", "max_days")]
        + [t("col_parcel", lang)],
        [
            (
                g.label,
                str(g.parcels),
                format_number(g.mu),
                "" if g.max_days is None else str(g.max_days),
                ", ".join(g.parcel_ids),
            )
            for g in b.gaps
        ],
        [1.4, 0.7, 0.9, 0.8, 3.2],
        "lrrrl",
    )
    if elsewhere:
        add(Heading(t("h_risks_elsewhere", lang), 2))
        add(Bullets(tuple((f"{r.label}: {r.subject}", r.detail) for r in elsewhere)))

    # Changes
    if b.changes is not None:
        c = b.changes
        add(Heading(t("h_changes", lang)))
        add(
            Paragraph(
                t("changes_park", lang, reference=c.reference)
                if c.basis == "park"
                else t("changes_date", lang, day=c.reference)
            )
        )
        if c.rows:
            out.table(
                lang,
                "changes",
                t("cap_changes", lang),
                [
                    t(k, lang)
                    for k in (
                        "col_parcel",
                        "col_name",
                        "col_change",
                        "col_before",
                        "col_after",
                        "col_since",
                    )
                ],
                [
                    (
                        r.parcel_id,
                        r.name or "",
                        t(f"change_{r.kind}", lang),
                        _code_label(r.before, r.kind, lang),
                        _code_label(r.after, r.kind, lang),
                        r.changed_on.isoformat() if r.changed_on else "",
                    )
                    for r in c.rows
                ],
                [1.1, 1.6, 0.9, 1.1, 1.1, 1],
                "llllll",
            )
        else:
            add(Paragraph(t("changes_none", lang)))
        if c.basis == "date":
            add(Paragraph(t("changes_date_note", lang, missing=c.unchecked), note=True))

    # Cost
    add(Heading(t("h_cost", lang)))
    if b.cost is None:
        add(Paragraph(t("cost_none", lang)))
    elif not b.cost.lines:
        add(Paragraph(t("cost_nothing", lang)))
    else:
        rows = [
            (
                line.zone,
                str(line.parcels),
                format_number(line.mu),
                t("no_rate", lang)
                if line.rate_wan_per_mu is None
                else format_number(line.rate_wan_per_mu),
                format_number(line.cost_wan),
            )
            for line in b.cost.lines
        ]
        rows.append(
            (
                t("cost_total", lang),
                str(sum(x.parcels for x in b.cost.lines)),
                format_number(sum(x.mu for x in b.cost.lines)),
                "",
                format_number(b.cost.total_wan),
            )
        )
        out.table(
            lang,
            "cost",
            t("cap_cost", lang),
            [t(k, lang) for k in ("col_zone", "col_count", "col_area", "col_rate", "col_cost")],
            rows,
            [1.8, 0.8, 1.1, 1.3, 1.3],
            "lrrrr",
        )
        add(Paragraph(t("cost_basis", lang), note=True))
        if b.cost.missing_zones:
            add(Paragraph(t("cost_missing_rate", lang, zones=", ".join(b.cost.missing_zones))))

    # Notes
    if b.notes:
        add(Heading(t("h_notes", lang)))
        add(Bullets(tuple(("", note) for note in b.notes)))

    # Atlas
    if b.atlas:
        add(Heading(t("h_atlas", lang), 1, page_break=True))
        for k, page in enumerate(b.atlas):
            add(Heading(page.title, 2, page_break=k > 0))
            out.figure(
                lang, f"atlas:{page.parcel_id}", t("cap_atlas_map", lang, id=page.parcel_id), 0.85
            )
            out.table(
                lang,
                f"atlas:{page.parcel_id}",
                t("cap_atlas_table", lang, id=page.parcel_id),
                [t("col_field", lang), t("col_value", lang)],
                list(page.attributes),
                [1, 2.4],
                "ll",
            )

    # Appendix: the 界址点成果表 of the parcels in scope, when asked (--boundary-points).
    if b.boundary_points:
        zh = lang == "zh"
        add(Heading("界址点成果表" if zh else "Boundary points (界址点成果表)", 1, page_break=True))
        columns = (
            ["点号", "X (米)", "Y (米)", "边长 (米)"]
            if zh
            else ["Point", "X (m)", "Y (m)", "Edge (m)"]
        )
        for table in b.boundary_points:
            add(Heading(table.title, 2))
            caption = f"{table.title}（{table.crs}）" if zh else f"{table.title} ({table.crs})"
            out.table(lang, f"boundary:{table.parcel_id}", caption, columns, list(table.rows),
                      [0.7, 1.3, 1.3, 1], "lrrr")  # fmt: skip
            add(Paragraph(table.area, note=True))

    # Appendix: where the figures come from, in plain words; the commands only here.
    out.blocks += appendix_blocks(b)
    return out.blocks


_LANDUSE_COLUMNS = ("gross_mu", "cultivated_mu", "garden_mu", "forest_mu", "grassland_mu",
                    "construction_mu", "water_mu", "other_mu", "uncovered_mu",
                    "farmland_mu")  # fmt: skip


def _landuse_blocks(out: _Counter, b: Briefing) -> None:
    """The land use under the parcels in scope (``parkgis landuse``), and its totals."""
    lang, figures = b.lang, b.landuse or {}
    zh = lang == "zh"
    columns = list(_LANDUSE_COLUMNS) + (["redline_mu"] if figures.get("redline_given") else [])
    out.blocks.append(Heading("三调地类" if zh else "Land use (third national land survey)", 2))
    rows = [
        (str(r["parcel_id"]), *(format_number(r[c]) for c in columns))
        for r in figures.get("parcels", [])
    ]
    totals = figures.get("totals", {})
    rows.append(("合计" if zh else "Total", *(format_number(totals.get(c)) for c in columns)))
    out.table(
        lang,
        "landuse",
        "各地块三调地类面积（亩，椭球面积）" if zh else "Land use of each parcel (mu, ellipsoidal)",
        [field_label("parcel_id", lang), *(field_label(c, lang) for c in columns)],
        rows,
        [1.0] + [0.8] * len(columns),
        "l" + "r" * len(columns),
    )
    if not figures.get("farmland_given"):
        out.blocks.append(Paragraph(
            "未提供永久基本农田图层，未核查占用永久基本农田。" if zh else
            "No permanent basic farmland layer was given: farmland was not checked.",
            note=True,
        ))  # fmt: skip
    for problem in figures.get("problems", []):
        out.blocks.append(Paragraph(problem["message_zh" if zh else "message"], note=True))


def appendix_blocks(b: Briefing) -> list[Block]:
    """The appendix (附录: 数据与方法): data, method in plain words, and the commands.

    The body of a briefing names no command; whoever wants to check a figure
    finds here the ``parkgis`` command lines that give the same numbers.
    """
    from parkgis import __version__

    lang, day = b.lang, b.date.isoformat()
    method = [
        t("app_data", lang, park=b.park_title, day=day),
        t("app_area", lang),
        t("app_net", lang),
        t("app_available", lang),
        t("app_dates", lang, day=day),
        t("app_demand", lang),
        t("app_capacity", lang),
    ]
    assume = _assumed_parcels(b)
    if assume:
        method.append(t("app_scenario", lang, parcels=", ".join(assume)))
    if b.cost is not None:
        method.append(t("app_cost", lang))
    commands = [
        f"parkgis reserve --as-of {day}",
        f"parkgis targets --today {day}",
        f"parkgis gaps --today {day}",
        "parkgis area --by acquisition_status",
    ]
    if assume:
        commands.append(
            f"parkgis reserve --as-of {day} " + " ".join(f"--assume {p}=acquired" for p in assume)
        )
    if not b.patches_checked:
        commands.append("parkgis enforce --patches PATCHES.shp")
    return [
        Heading(t("h_appendix", lang), 1, page_break=bool(b.atlas)),
        Heading(t("h_method", lang), 2),
        Bullets(tuple(("", text) for text in method)),
        Heading(t("h_commands", lang), 2),
        Paragraph(t("app_commands", lang)),
        Bullets(tuple(("", command) for command in commands)),
        Paragraph(t("app_software", lang, version=__version__), note=True),
    ]


def figure_keys(blocks: list[Block]) -> list[str]:
    """The keys of the figures the blocks show, in order."""
    return [block.key for block in blocks if isinstance(block, Figure)]


_QUARTER_COLUMNS = (
    "quarter",
    "new_pipeline_mu",
    "new_reserve_mu",
    "overdue_mu",
    "supply_mu",
    "demand_mu",
    "shortfall_mu",
)
_TARGET_COLUMNS = ("metric", "target", "actual", "unit", "pct", "elapsed_pct", "on_track")
_WAITING_COLUMNS = (
    "project_id",
    "project",
    "company",
    "stage",
    "land_demand_mu",
    "held_mu",
    "earmarked_mu",
    "need_mu",
)


def _shares(widths: list[float]) -> tuple[float, ...]:
    total = float(sum(widths))
    return tuple(w / total for w in widths)


def _parcel_row(r: ParcelRow, lang: str) -> tuple[str, ...]:
    status = _code_label(r.acquisition_status, "status", lang)
    if r.acquisition_step:
        status += f" ({_code_label(r.acquisition_step, 'step', lang)})"
    return (
        r.parcel_id,
        r.name or "",
        format_number(r.area_mu),
        status,
        "" if r.days_in_stage is None else str(r.days_in_stage),
        "; ".join(r.project_names),
        _code_label(r.title_status, "title", lang) if r.title_status else "",
    )


def _code_label(code: str | None, kind: str, lang: str) -> str:
    if code is None:
        return ""
    vocab = {"step": STEP, "title": TITLE, "stage": STAGE}.get(kind, ACQUISITION)
    return vocab.label(code, lang=lang) if code in vocab else code


def _target_row(r: dict, lang: str) -> tuple[str, ...]:  # type: ignore[type-arg]
    track = r.get("on_track")
    return (
        str(r.get("metric") or ""),
        format_number(r.get("target"), decimals=1),
        format_number(r.get("actual"), decimals=1),
        str(r.get("unit") or ""),
        format_number(r.get("pct"), decimals=1),
        format_number(r.get("elapsed_pct"), decimals=1),
        "" if track is None else t("yes" if track else "no", lang),
    )


def _waiting_row(p: dict, lang: str) -> tuple[str, ...]:  # type: ignore[type-arg]
    return (
        str(p.get("project_id") or ""),
        str(p.get("name") or ""),
        str(p.get("company") or ""),
        _code_label(p.get("stage"), "stage", lang),
        format_number(p.get("land_demand_mu")),
        format_number(p.get("held_mu")),
        format_number(p.get("earmarked_mu")),
        format_number(p.get("need_mu")),
    )


def _said(figure: KeyFigure, lang: str) -> str:
    """A key figure in a sentence, named as its table names it: ``缺口 190.00 亩``."""
    return _in_words(figure.label, figure.value, lang)


def _in_words(label: str, value: float, lang: str) -> str:
    name = label.removesuffix("(亩)").removesuffix(" (mu)")
    return t("figure_in_words", lang, label=name, value=format_number(value))


def _park(b: Briefing, key: str) -> str:
    """The park's reserve figure ``key`` in words, with its table label."""
    return _in_words(field_label(key, b.lang), float(b.reserve[key]), b.lang)


def _waiting_sentence(b: Briefing) -> str:
    waiting = b.projects_waiting
    if not waiting:
        return t("waiting_none", b.lang)
    return t(
        "waiting_total",
        b.lang,
        n=len(waiting),
        demand=_park(b, "demand_mu"),
        available=_park(b, "available_mu"),
        shortfall=_park(b, "shortfall_mu"),
    )


def _quarter_sentences(b: Briefing) -> list[str]:
    """When the shortfall closes, counting only land with a date not yet passed; what is not."""
    lang, r = b.lang, b.reserve
    quarters = r["by_quarter"]
    out = []
    if r["shortfall_mu"] == 0:
        out.append(t("quarter_no_shortfall", lang))
    elif r.get("shortfall_closes_in"):
        out.append(t("quarter_first_met", lang, quarter=r["shortfall_closes_in"]))
    else:
        out.append(
            t(
                "quarter_never_met",
                lang,
                quarter=quarters[-1]["quarter"],
                shortfall=_park(b, "shortfall_after_scheduled_mu"),
            )
        )
    overdue = [p for p in r.get("overdue_parcels", []) if p.get("expected_acquisition")]
    if r.get("overdue_mu", 0) > 0 and overdue:
        dates = sorted(str(p["expected_acquisition"]) for p in overdue)
        out.append(
            t(
                "quarter_overdue",
                lang,
                overdue=_park(b, "overdue_mu"),
                first=dates[0],
                last=dates[-1],
            )
        )
    if r.get("unscheduled_mu", 0) > 0:
        out.append(t("quarter_unscheduled", lang, unscheduled=_park(b, "unscheduled_mu")))
    return out


def _assumed_parcels(b: Briefing) -> list[str]:
    """The parcels the scenario takes as acquired."""
    return [str(a["zone"]) for a in b.scenario["assumptions"]] if b.scenario else []
