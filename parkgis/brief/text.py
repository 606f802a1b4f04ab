"""The words of a briefing, in Chinese and English.

Every fixed string a briefing prints lives here, keyed by a short name, so the
three writers (Word, HTML, Markdown) and the figures say the same thing.
Field and figure labels come from :func:`parkgis.model.schema.field_label`
and vocabulary labels from :mod:`parkgis.model.vocab`, as in every command.
"""

from __future__ import annotations

__all__ = ["LANGS", "TEXT", "t"]

LANGS = ("zh", "en")

TEXT: dict[str, tuple[str, str]] = {
    # Title and scope
    "title": ("{park}土地征收工作简报", "{park}: land acquisition briefing"),
    "title_scope": ("{park}{scope}土地征收工作简报", "{park}: land acquisition briefing, {scope}"),
    "scope_park": ("全园区({n} 个地块)", "the whole park ({n} parcels)"),
    "scope_zone": ("片区 {value}({n} 个地块)", "zone {value} ({n} parcels)"),
    "scope_parcels": ("地块 {value}({n} 个地块)", "parcels {value} ({n} parcels)"),
    "scope_project": ("项目 {value}({n} 个地块)", "project {value} ({n} parcels)"),
    "meta_park": ("园区", "Park"),
    "meta_date": ("日期", "Date"),
    "meta_scope": ("范围", "Scope"),
    "meta_source": (
        "数据截至 {day}; 数据来源与测算方法见附录。",
        "Figures as of {day}; where they come from and how they are made: see the appendix.",
    ),
    # Sections
    "h_figures": ("主要数据", "Key figures"),
    "h_scope_figures": ("范围内土地", "Land in scope"),
    "h_park_figures": ("全园区土地储备与缺口", "Park land reserve and shortfall"),
    "h_scenario": ("情景: 范围内土地征收完成后", "Scenario: once the land in scope is acquired"),
    "h_targets": ("目标任务进度", "Target progress"),
    "h_map": ("地块图", "Map"),
    "h_parcels": ("范围内地块", "Parcels in scope"),
    "h_private": (
        "权利人信息(个人信息, 注意保密)",
        "Land owners (personal data: keep confidential)",
    ),
    "h_waiting": ("待落地项目", "Projects waiting for land"),
    "h_risks": ("风险提示", "Risks"),
    "h_risks_scope": ("范围内", "In scope"),
    "h_risks_elsewhere": ("园区其他地块", "Elsewhere in the park"),
    "h_gaps": ("批而未征、征而未供、供而未用", "The three gaps"),
    "h_changes": ("变化情况", "Changes"),
    "h_cost": ("征收补偿费用估算", "Acquisition cost estimate"),
    "h_notes": ("说明", "Notes"),
    "h_atlas": ("地块图册", "Atlas"),
    "h_appendix": ("附录: 数据与方法", "Appendix: data and method"),
    "h_method": ("测算方法", "How the figures are made"),
    "h_commands": ("复核命令", "Commands to check the figures"),
    # Captions
    "table": ("表{n} {text}", "Table {n}. {text}"),
    "figure": ("图{n} {text}", "Figure {n}. {text}"),
    "cap_scope_figures": ("范围内土地(亩)", "Land in scope (mu)"),
    "cap_park_figures": ("全园区土地储备与缺口", "Park land reserve and shortfall"),
    "cap_scenario": ("情景测算", "Scenario"),
    "cap_quarters": (
        "按季度土地供需(截至 {day}; 只计入预计征收日期未过的土地)",
        "Supply and demand by quarter (as of {day}; counting only land whose expected "
        "acquisition date has not passed)",
    ),
    "cap_targets": ("目标任务进度", "Target progress"),
    "cap_status_chart": ("范围内土地按征收状态(亩)", "Land in scope by acquisition status (mu)"),
    "cap_quarter_chart": (
        "按季度累计可供土地与签约项目需求, 阴影为缺口, 灰框为逾期未征收(不计入)(亩)",
        "Land available by quarter against the demand of signed projects; shaded: shortfall; "
        "grey outline: overdue, not counted (mu)",
    ),
    "cap_target_chart": ("目标完成率与时间进度", "Targets done against time elapsed"),
    "cap_map": (
        "地块征收状态图(粗框为本次范围; 坐标系 {crs})",
        "Parcels by acquisition status (heavy outline: the scope; drawn in {crs})",
    ),
    "cap_parcels": ("范围内地块", "Parcels in scope"),
    "cap_private": ("权利人信息", "Land owners"),
    "cap_waiting": ("待落地签约项目", "Signed projects waiting for land"),
    "cap_gaps": ("三类问题地块", "Parcels in the three gaps"),
    "cap_changes": ("地块状态变化", "Parcels whose status changed"),
    "cap_cost": ("征收补偿费用估算(万元)", "Acquisition cost estimate (10k CNY)"),
    "cap_atlas_map": ("{id} 位置图", "{id}: location"),
    "cap_atlas_table": ("{id} 属性", "{id}: attributes"),
    # Column headers
    "col_figure": ("项目", "Figure"),
    "col_value": ("数值", "Value"),
    "col_metric": ("指标", "Metric"),
    "col_parcel": ("地块编号", "Parcel"),
    "col_name": ("名称", "Name"),
    "col_area": ("面积(亩)", "Area (mu)"),
    "col_status": ("征收状态(环节)", "Status (step)"),
    "col_days": ("滞留天数", "Days in stage"),
    "col_project": ("项目", "Project"),
    "col_title": ("权证", "Title"),
    "col_zone": ("片区", "Zone"),
    "col_count": ("地块数", "Parcels"),
    "col_rate": ("补偿标准(万元/亩)", "Rate (10k CNY/mu)"),
    "col_cost": ("估算费用(万元)", "Estimate (10k CNY)"),
    "col_change": ("变化", "Change"),
    "col_before": ("原状态", "Before"),
    "col_after": ("现状态", "Now"),
    "col_since": ("变化日期", "Changed on"),
    "col_field": ("字段", "Field"),
    # Scope figures
    "fig_status_mu": ("{status}(亩)", "{status} (mu)"),
    "fig_scope_total": ("范围内合计(亩)", "Total in scope (mu)"),
    "fig_to_acquire": (
        "待征收(未征收+征收中)(亩)",
        "Still to acquire (unacquired + acquiring, mu)",
    ),
    "fig_scope_available": (
        "范围内现有可用地(已征收或已平整、未分配的净可建面积)(亩)",
        "Available now in scope: acquired or leveled, unallocated, net buildable (mu)",
    ),
    "fig_scope_pipeline": (
        "范围内在征土地(净可建面积)(亩)",
        "Pipeline in scope: being acquired, net buildable (mu)",
    ),
    "fig_scope_reserve": (
        "范围内未征收储备(净可建面积)(亩)",
        "Unacquired reserve in scope: net buildable (mu)",
    ),
    "fig_scope_overdue": (
        "范围内逾期未征收(亩)",
        "Overdue in scope: expected date passed, not acquired (mu)",
    ),
    "fig_scenario_available": ("征收后可用地(亩)", "Available once acquired (mu)"),
    "fig_scenario_shortfall": ("征收后缺口(亩)", "Shortfall once acquired (mu)"),
    "fig_scenario_surplus": ("征收后富余(亩)", "Surplus once acquired (mu)"),
    # Waiting
    "waiting_total": (
        "{n} 个签约项目尚需用地: {demand}; {available}, {shortfall}。",
        "{n} signed projects still need land: {demand}; {available}; {shortfall}.",
    ),
    "figure_in_words": ("{label} {value} 亩", "{label} {value} mu"),
    "waiting_none": ("没有等待用地的签约项目。", "No signed project is waiting for land."),
    "quarter_no_shortfall": (
        "现有可用地满足签约项目需求, 没有缺口。",
        "The land available now meets the signed projects' demand: no shortfall.",
    ),
    "quarter_first_met": (
        "按尚未到期的预计征收日期, 缺口在 {quarter} 消除。",
        "At the expected acquisition dates, none of them passed yet, the shortfall closes "
        "in {quarter}.",
    ),
    "quarter_never_met": (
        "按尚未到期的预计征收日期, 至 {quarter} 缺口仍未消除: {shortfall}。",
        "At the expected acquisition dates not yet passed, the shortfall is not closed by "
        "{quarter}: {shortfall}.",
    ),
    "quarter_overdue": (
        "{overdue}: 这些土地原定 {first} 至 {last} 完成征收, 日期已过仍未征收, "
        "没有可以依靠的日期, 不计入可供土地; 缺口能否消除取决于重新落实征收时间。",
        "{overdue}: it was to be acquired between {first} and {last}, "
        "the dates have passed and it is still not acquired, so it has no date to count on "
        "and is not counted as supply; whether the shortfall closes depends on new dates.",
    ),
    "quarter_unscheduled": (
        "另有 {unscheduled}: 没有预计征收日期, 不计入可供土地。",
        "Also {unscheduled}: no expected acquisition date, not counted as supply.",
    ),
    "scenario_text": (
        "若范围内待征收土地全部征收完成: {available}, {shortfall}, {surplus}。",
        "Once the land in scope is acquired: {available}; {shortfall}; {surplus}.",
    ),
    # Risks
    "risk_none": ("范围内未发现风险。", "No risk found in scope."),
    "risk_patch": ("卫片图斑: {reason}", "Inspection patch: {reason}"),
    "risk_stalled": ("项目停工", "Project stalled"),
    "risk_funds": ("资金未到位", "Funds not in place"),
    "risk_idle": ("闲置土地预警", "Idle land"),
    "risk_overdue": ("征收逾期", "Acquisition overdue"),
    "risk_no_patches": (
        "未提供卫片图斑, 执法预检仅含权证风险。",
        "No satellite inspection patches were given: the enforcement pre-check covers title "
        "risks only.",
    ),
    "detail_title": (
        "{stage}; 权证: {title}; 地块 {parcels}, {mu} 亩",
        "{stage}; title: {title}; parcels {parcels}, {mu} mu",
    ),
    "detail_patch": (
        "图斑 {patch}, 地块 {parcel}, 涉及 {mu} 亩",
        "patch {patch}, parcel {parcel}, {mu} mu",
    ),
    "detail_project": ("{stage}; 资金: {funding}", "{stage}; funds: {funding}"),
    "detail_idle": (
        "已供地 {days} 天未开工, {mu} 亩",
        "supplied {days} days ago, not built; {mu} mu",
    ),
    "detail_overdue": (
        "预计 {expected} 完成征收, 现为{status}, {mu} 亩",
        "expected by {expected}, still {status}; {mu} mu",
    ),
    "unknown": ("不详", "unknown"),
    "blank": ("—", "—"),
    # Changes
    "changes_park": ("与 {reference} 相比", "Compared with {reference}"),
    "changes_date": ("{day} 以来", "Since {day}"),
    "changes_none": ("范围内地块状态无变化。", "No parcel in scope changed status."),
    "change_status": ("状态变化", "status"),
    "change_step": ("环节变化", "step"),
    "change_added": ("新增地块", "added"),
    "change_removed": ("地块已删除", "removed"),
    "changes_date_note": (
        "园区无状态变更记录, 依据地块的状态日期判断, 原状态不详。{missing} 个地块无状态日期, "
        "无法判断。",
        "The park has no record of status changes: read from the parcels' status dates, so "
        "the earlier status is not known. {missing} parcel(s) have no status date and could "
        "not be checked.",
    ),
    # Cost
    "cost_none": (
        "园区未设定补偿标准, 无法估算。",
        "The park sets no compensation rate: no estimate.",
    ),
    "cost_nothing": ("范围内没有待征收土地。", "No land in scope is still to be acquired."),
    "cost_total": ("合计", "Total"),
    "cost_basis": (
        "估算 = 待征收毛面积(亩) × 补偿标准(万元/亩), 补偿标准为园区设定值(见附录)。",
        "Estimate = gross area still to acquire (mu) × rate (10k CNY per mu); the rates are "
        "the park's settings (see the appendix).",
    ),
    "cost_missing_rate": (
        "片区 {zones} 无补偿标准, 合计不含这些片区。",
        "No rate for zone(s) {zones}: the total leaves them out.",
    ),
    "no_rate": ("未给出", "not given"),
    # Notes
    "note_days": (
        "{n} 个地块没有状态日期, 滞留天数空缺。",
        "{n} parcel(s) have no status date: days in stage left blank.",
    ),
    "note_geometry": ("地块几何说明: {text}", "Geometry: {text}"),
    "note_project_no_land": (
        "项目 {project} 尚未持有地块, 尚需用地 {mu} 亩。",
        "Project {project} holds no parcel yet; it still needs {mu} mu.",
    ),
    "note_private": (
        "本简报含权利人个人信息, 请勿外传。",
        "This briefing holds land owners' personal data: do not pass it on.",
    ),
    # Appendix: data and method, in plain words; the commands only here.
    "app_data": (
        "数据: {park}的地块、限制要素、项目与目标台账, 截至 {day}。",
        "Data: the parcels, constraints, projects and targets of {park}, as of {day}.",
    ),
    "app_area": (
        "面积: 按地块边界在 CGCS2000 椭球面上量算, 单位亩(1 亩 = 666.67 平方米), "
        "不采用台账填报面积。",
        "Areas: measured from the parcel boundaries on the CGCS2000 ellipsoid, in mu "
        "(1 mu = 666.67 m²), not taken from the ledger.",
    ),
    "app_net": (
        "净可建面积: 地块面积扣除高压线、河道等限制要素的退让范围。",
        "Net buildable: the parcel's area less the setback corridors of power lines, rivers "
        "and other constraints.",
    ),
    "app_available": (
        "现有可用地: 已征收或已平整、尚未分配给项目的净可建面积; 在征土地、未征收储备尚未征收, "
        "不是现有可用地。",
        "Available now: net buildable land acquired or leveled and not yet allocated to a "
        "project; land being acquired and the unacquired reserve are not available now.",
    ),
    "app_dates": (
        "按季度测算: 在征土地和未征收储备按预计征收日期计入当季; 预计日期早于 {day} "
        "而仍未征收的土地为逾期, 没有可以依靠的日期, 不计入; 没有预计日期的土地也不计入。"
        "缺口只在计入土地满足需求时才称为消除。",
        "By quarter: land being acquired and the reserve count in the quarter of their expected "
        "acquisition date; land whose expected date is before {day} and that is still not "
        "acquired is overdue, has no date to count on and is not counted; nor is land without "
        "an expected date. A shortfall is only called closed when the land counted meets the "
        "demand.",
    ),
    "app_demand": (
        "需求: 已签约且未停工项目的用地需求, 减去其已持有(已征收及以后环节)的土地; "
        "洽谈、停工项目不计。缺口 = 需求 − 可供土地。",
        "Demand: the land demand of signed projects that are not stalled, less the land they "
        "already hold (acquired or further); negotiating and stalled projects do not count. "
        "Shortfall = demand − land counted.",
    ),
    "app_capacity": (
        "“全部到位后”的缺口假定在征或储备土地全部征收(含逾期和无日期的土地), "
        "是容量测算, 不是预测。",
        'The shortfall "if all … arrived" assumes all the land being acquired or in '
        "reserve is acquired (overdue and undated land included): a capacity, not a forecast.",
    ),
    "app_scenario": (
        "情景测算假定范围内待征收地块 {parcels} 全部征收完成。",
        "The scenario assumes the parcels still to acquire in scope, {parcels}, acquired.",
    ),
    "app_cost": (
        "补偿标准取自园区配置文件 park.toml 的 compensation_wan_per_mu(万元/亩)。",
        "Compensation rates come from compensation_wan_per_mu (10k CNY per mu) in the park's "
        "park.toml.",
    ),
    "app_commands": (
        "同样的数据可用 parkgis 命令复核:",
        "The same figures come from these parkgis commands:",
    ),
    "app_software": ("由 parkgis {version} 生成。", "Made with parkgis {version}."),
    # Atlas attributes
    "attr_area": ("测量面积(亩)", "Measured area (mu)"),
    "attr_net": ("净可建面积(亩)", "Net buildable (mu)"),
    "attr_days": ("滞留天数", "Days in stage"),
    "attr_projects": ("用地项目", "Projects"),
    # Figures
    "legend_scope": ("本次范围", "Scope"),
    "legend_corridor": ("{kind}退让", "{kind} setback"),
    "chart_supply": ("累计可供土地", "Land available"),
    "chart_demand": ("签约项目需求", "Demand"),
    "chart_shortfall": ("缺口", "Shortfall"),
    "chart_overdue": ("逾期未征收(不计入)", "Overdue, not counted"),
    "chart_mu": ("亩", "mu"),
    "chart_pct": ("完成率(%)", "Done (%)"),
    "chart_elapsed": ("时间进度", "Time elapsed"),
    "chart_no_data": ("无数据", "no data"),
    "north": ("北", "N"),
    "target_n": ("指标{n}", "Target {n}"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
}


def t(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang``, with ``{placeholders}`` filled.

    Examples
    --------
    >>> t("scope_zone", "en", value="东区", n=3)
    'zone 东区 (3 parcels)'
    """
    zh, en = TEXT[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text
