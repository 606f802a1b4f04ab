# ruff: noqa: E501 - HTML templates
"""The web app's pages: Jinja2 templates with autoescape on.

Every value from the park or a user (parcel names, notes, user names) goes
through Jinja2's escaping: ``<img src=x onerror=alert(1)>`` shows as text,
``{{7*7}}`` as written (a value is never a template). Scripts read data only
from JSON answers and put it in the page with ``textContent``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TEMPLATES", "environment", "render"]

_BASE = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ page_title }} · {{ park_title }}</title>
<style>
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:0;color:#222}
header{background:#24476b;color:#fff;padding:.4em 1em;display:flex;gap:1em;align-items:center;
flex-wrap:wrap}
header a{color:#fff}
header form{margin:0}
main{padding:1em}
table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#eef}
.num{text-align:right}
.error{color:#a00;font-weight:bold}
.notice{color:#060}
.swatch{display:inline-block;width:1em;height:1em;border:1px solid #555;vertical-align:middle}
#map-layout{display:flex;gap:1em}
#map-frame{flex:1;height:80vh;border:1px solid #999}
#panel{width:22em}
label{display:block;margin:.3em 0}
</style></head>
<body data-version="{{ version }}" data-root="{{ root }}">
<header>
<strong>{{ park_title }}</strong>
<a href="{{ root }}/">{{ t('地图', 'Map') }}</a>
<a href="{{ root }}/figures">{{ t('统计表', 'Figures') }}</a>
<a href="{{ root }}/brief">{{ t('简报', 'Briefing') }}</a>
<a href="{{ root }}/problems">{{ t('数据问题', 'Problems') }}</a>
<form action="{{ root }}/search" method="get" role="search">
<input name="q" id="q" value="{{ query or '' }}" placeholder="{{ t('地块编号、名称、项目', 'parcel id, name, project') }}">
<button type="submit">{{ t('搜索', 'Search') }}</button></form>
<span style="margin-left:auto">
{% if user %}<span id="user">{{ user.name }} ({{ user.role_label(lang) }})</span>
<form action="{{ root }}/logout" method="post" style="display:inline">
<input type="hidden" name="csrf" value="{{ csrf }}">
<button type="submit">{{ t('退出', 'Sign out') }}</button></form>
{% else %}<a href="{{ root }}/login">{{ t('登录', 'Sign in') }}</a>{% endif %}
<a href="?lang={{ 'en' if lang == 'zh' else 'zh' }}">{{ 'English' if lang == 'zh' else '中文' }}</a>
</span>
</header>
<main>{% block main %}{% endblock %}</main>
</body></html>
"""

_TABLE = """{% macro table(frame, numeric=()) -%}
<table><thead><tr>{% for h in frame.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in frame.rows %}<tr>{% for v in row %}
<td{% if v is number %} class="num"{% endif %}>{{ v | cell }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{%- endmacro %}"""

_MAP = """{% extends "base.html" %}{% block main %}
<div id="map-layout">
<iframe id="map-frame" title="{{ t('地图', 'Map') }}" style="visibility:hidden"
 src="{{ root }}/map.html?lang={{ lang }}&amp;v={{ version | urlencode }}"></iframe>
<div id="panel">
<h2>{{ t('概况', 'Summary') }}</h2>
<table id="summary"><thead><tr><th>{{ t('征收状态', 'Status') }}</th><th>{{ t('宗数', 'Parcels') }}</th>
<th>{{ t('面积(亩)', 'Area (mu)') }}</th></tr></thead><tbody>
{% for row in summary %}<tr data-status="{{ row.code }}"><td><span class="swatch"
 style="background:{{ row.colour }}"></span> <span class="label">{{ row.label }}</span></td>
<td class="num count">{{ row.count }}</td><td class="num mu">{{ '%.2f' | format(row.mu) }}</td></tr>
{% endfor %}</tbody></table>
{% if problems_line %}<p class="error"><a href="{{ root }}/problems">{{ problems_line }}</a></p>{% endif %}
{% for note in notes %}<p>{{ note }}</p>{% endfor %}
<p>{{ t('版本', 'Version') }}: <span id="version">{{ version }}</span></p>
</div></div>
<script>
(function () {
  var root = document.body.dataset.root, lang = {{ lang | tojson }};
  var every = {{ poll_ms | int }};
  var frame = document.getElementById("map-frame");
  /* The map (drawn once per geometry) takes the changes since the seq it
     shows in place (parkgis.serve.live); it is loaded again only when the
     server says so, or when it cannot take them. Until a map has been
     brought up to date once it stays hidden: it never shows an old status. */
  var syncing = false, again = false, reloadedFor = null;
  function mapOf() {
    var w = frame.contentWindow, s = w && w.parkgisMaps && w.parkgisMaps[0];
    return s && s.ready && s.live && s.update ? s : null;
  }
  function reload(version) {
    frame.style.visibility = "hidden";
    frame.src = root + "/map.html?lang=" + lang + "&v=" + encodeURIComponent(version);
  }
  function sync() {
    var s = mapOf();
    if (!s) return; // still loading: its load event brings it up to date
    if (syncing) { again = true; return; }
    syncing = true;
    fetch(root + "/api/changes?lang=" + lang + "&page=" + encodeURIComponent(s.live.page) +
          "&since=" + s.live.seq, {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (r) { return r.status === 200 ? r.json() : null; })
    .then(function (data) {
      if (!data) return;
      if (!data.reload && s.update(data)) {
        frame.style.visibility = "";
      } else if (reloadedFor !== data.version) {
        reloadedFor = data.version; // once per version: a map that cannot follow is not reloaded forever
        reload(data.version);
      } else {
        console.error("parkgis: the map cannot show the changes of version " + data.version);
      }
    })
    .catch(function () {})
    .finally(function () {
      syncing = false;
      if (again) { again = false; sync(); }
    });
  }
  frame.addEventListener("load", sync);
  sync();
  function poll() {
    fetch(root + "/api/summary?lang=" + lang, {credentials: "same-origin",
      headers: {"If-None-Match": '"' + document.body.dataset.version + '"'}})
    .then(function (r) { return r.status === 200 ? r.json() : null; })
    .then(function (data) {
      if (!data) return;
      document.body.dataset.version = data.version;
      document.getElementById("version").textContent = data.version;
      var body = document.querySelector("#summary tbody");
      body.textContent = "";
      data.summary.forEach(function (row) {
        var tr = document.createElement("tr");
        tr.dataset.status = row.code;
        var a = document.createElement("td"), sw = document.createElement("span");
        sw.className = "swatch"; sw.style.background = row.colour;
        var lab = document.createElement("span"); lab.className = "label";
        lab.textContent = row.label; a.appendChild(sw); a.appendChild(document.createTextNode(" "));
        a.appendChild(lab);
        var b = document.createElement("td"); b.className = "num count"; b.textContent = row.count;
        var c = document.createElement("td"); c.className = "num mu"; c.textContent = row.mu.toFixed(2);
        tr.appendChild(a); tr.appendChild(b); tr.appendChild(c); body.appendChild(tr);
      });
      sync();
    })
    .catch(function () {})
    .finally(function () {
      if (frame.style.visibility === "hidden") sync(); // not up to date yet: try again
      setTimeout(poll, every);
    });
  }
  setTimeout(poll, every);
})();
</script>
{% endblock %}"""

_SEARCH = """{% extends "base.html" %}{% block main %}
<h1>{{ t('搜索', 'Search') }}: {{ query }}</h1>
{% if results %}<table id="results"><thead><tr><th>{{ t('地块编号', 'Parcel') }}</th>
<th>{{ t('名称', 'Name') }}</th><th>{{ t('征收状态', 'Status') }}</th><th>{{ t('项目', 'Project') }}</th>
<th>{{ t('匹配', 'Matched') }}</th></tr></thead><tbody>
{% for r in results %}<tr><td><a href="{{ root }}/parcel/{{ r.parcel_id | urlencode }}">{{ r.parcel_id }}</a></td>
<td>{{ r.name }}</td><td>{{ r.status }}</td><td>{{ r.project }}</td><td>{{ r.matched }}</td></tr>
{% endfor %}</tbody></table>
{% else %}<p>{{ t('没有找到匹配的地块', 'No parcel matches') }}</p>{% endif %}
{% endblock %}"""

_PARCEL = """{% extends "base.html" %}{% block main %}{% from "macros.html" import table %}
<h1 id="parcel-title">{{ parcel_id }} {{ name }}</h1>
{% if message %}<p class="notice" id="message">{{ message }}</p>{% endif %}
{% if error %}<p class="error" id="error">{{ error }}</p>{% endif %}
<h2>{{ t('属性', 'Fields') }}</h2>
<table id="fields">{% for label, value in fields %}<tr><th>{{ label }}</th><td>{{ value | cell }}</td></tr>
{% endfor %}</table>
<h2>{{ t('面积', 'Area') }}</h2>
<table id="figures">{% for label, value in figures %}<tr><th>{{ label }}</th>
<td class="num">{{ value | cell }}</td></tr>{% endfor %}</table>
{% for note in parcel_notes %}<p>{{ note }}</p>{% endfor %}
{% if project %}<h2>{{ t('项目', 'Project') }}</h2>
<table id="project">{% for label, value in project %}<tr><th>{{ label }}</th><td>{{ value | cell }}</td></tr>
{% endfor %}</table>{% endif %}
<h2>{{ t('历史记录', 'History') }}</h2>
{% if history.rows %}<div id="history">{{ table(history) }}</div>
{% else %}<p id="history">{{ t('没有记录的变更', 'no change recorded') }}</p>{% endif %}
{% if can_edit %}
<h2>{{ t('记录变更', 'Record a change') }}</h2>
<form id="edit" method="post" action="{{ root }}/parcel/{{ parcel_id | urlencode }}/status">
<input type="hidden" name="csrf" value="{{ csrf }}">
<label>{{ t('变更项', 'Field') }} <select name="field">
{% for code, label in edit_fields %}<option value="{{ code }}">{{ label }}</option>{% endfor %}
</select></label>
<label>{{ t('新值', 'New value') }} <select name="value">
{% for group, options in edit_values %}<optgroup label="{{ group }}">
{% for code, label in options %}<option value="{{ code }}">{{ label }}</option>{% endfor %}
</optgroup>{% endfor %}</select></label>
<label>{{ t('日期', 'Date') }} <input type="date" name="date" value="{{ today }}" max="{{ today }}" required></label>
<label>{{ t('说明(必填)', 'Note (required)') }} <input name="note" required size="50"></label>
<label>{{ t('依据', 'Evidence') }} <input name="evidence" size="30"></label>
<label><input type="checkbox" name="force" value="1"> {{ t('强制(跳步、回退或更正)', 'Force (a skip, a step back, a correction)') }}</label>
<button type="submit">{{ t('记录', 'Record') }}</button>
</form>
<h2>{{ t('归属项目', 'Assign to a project') }}</h2>
<form id="assign" method="post" action="{{ root }}/parcel/{{ parcel_id | urlencode }}/project">
<input type="hidden" name="csrf" value="{{ csrf }}">
<label>{{ t('项目', 'Project') }} <select name="project_id">
<option value="">{{ t('(无)', '(none)') }}</option>
{% for code, label in project_choices %}<option value="{{ code }}">{{ label }}</option>{% endfor %}
</select></label>
<label>{{ t('日期', 'Date') }} <input type="date" name="date" value="{{ today }}" max="{{ today }}" required></label>
<label>{{ t('说明(必填)', 'Note (required)') }} <input name="note" required size="50"></label>
<label>{{ t('依据', 'Evidence') }} <input name="evidence" size="30"></label>
<button type="submit">{{ t('记录', 'Record') }}</button>
</form>
<h2>{{ t('注销地块', 'Retire the parcel') }}</h2>
<form id="retire" method="post" action="{{ root }}/parcel/{{ parcel_id | urlencode }}/retire">
<input type="hidden" name="csrf" value="{{ csrf }}">
<label>{{ t('日期', 'Date') }} <input type="date" name="date" value="{{ today }}" max="{{ today }}" required></label>
<label>{{ t('说明(必填)', 'Note (required)') }} <input name="note" required size="50"></label>
<label>{{ t('依据', 'Evidence') }} <input name="evidence" size="30"></label>
<label><input type="checkbox" name="confirm" value="1" required> {{ t('确认：地块离开园区（保留其历史）', 'Confirm: the parcel leaves the park (its history is kept)') }}</label>
<button type="submit">{{ t('注销', 'Retire') }}</button>
</form>
<h2>{{ t('合宗', 'Merge parcels') }}</h2>
<form id="merge" method="post" action="{{ root }}/parcel/{{ parcel_id | urlencode }}/merge">
<input type="hidden" name="csrf" value="{{ csrf }}">
{% if neighbours %}<fieldset><legend>{{ t('与下列相邻地块合并', 'Merge with these neighbours') }}</legend>
{% for nid, nname in neighbours %}<label><input type="checkbox" name="with" value="{{ nid }}"> {{ nid }} {{ nname }}</label>
{% endfor %}</fieldset>{% endif %}
<label>{{ t('其他地块编号(逗号分隔)', 'Other parcel ids (comma-separated)') }} <input name="with_ids" size="40"></label>
<label>{{ t('合并后的宗地号(新编号)', "The merged parcel's id (a new one)") }} <input name="new_id" required></label>
<label>{{ t('合并后的名称', "The merged parcel's name") }} <input name="new_name" size="30"></label>
<label>{{ t('日期', 'Date') }} <input type="date" name="date" value="{{ today }}" max="{{ today }}" required></label>
<label>{{ t('说明(必填)', 'Note (required)') }} <input name="note" required size="50"></label>
<label>{{ t('依据', 'Evidence') }} <input name="evidence" size="30"></label>
<button type="submit">{{ t('合宗', 'Merge') }}</button>
</form>
<h2>{{ t('分宗', 'Split the parcel') }}</h2>
<form id="split" method="post" enctype="multipart/form-data" action="{{ root }}/parcel/{{ parcel_id | urlencode }}/split">
<input type="hidden" name="csrf" value="{{ csrf }}">
<label>{{ t('分宗测量成果(GeoJSON、GeoPackage、界址点坐标 TXT、KML/KMZ、压缩的 Shapefile)，每宗一个新宗地号', 'The survey of the parts (GeoJSON, GeoPackage, 界址点 TXT, KML/KMZ, zipped shapefile), each part with its new id') }}
<input type="file" name="parts" required accept=".geojson,.json,.gpkg,.txt,.kml,.kmz,.zip"></label>
<label>{{ t('坐标系(文件未注明时填写，如 EPSG:4544)', 'CRS (when the file does not say, e.g. EPSG:4544)') }} <input name="crs" size="15"></label>
<label>{{ t('日期', 'Date') }} <input type="date" name="date" value="{{ today }}" max="{{ today }}" required></label>
<label>{{ t('说明(必填)', 'Note (required)') }} <input name="note" required size="50"></label>
<label>{{ t('依据', 'Evidence') }} <input name="evidence" size="30"></label>
<button type="submit">{{ t('分宗', 'Split') }}</button>
</form>{% endif %}
{% endblock %}"""

_FIGURES = """{% extends "base.html" %}{% block main %}{% from "macros.html" import table %}
<h1>{{ page_title }}</h1>
<ul id="figure-list">{% for code, label in figure_list %}
<li><a href="{{ root }}/figures/{{ code }}">{{ label }}</a>
(<a href="{{ root }}/figures/{{ code }}.csv?lang={{ lang }}">CSV</a>,
<a href="{{ root }}/figures/{{ code }}.xlsx?lang={{ lang }}">XLSX</a>)</li>{% endfor %}</ul>
{% if refused %}<pre class="error" id="refused">{{ refused }}</pre>{% endif %}
{% for title, frame in tables %}<h2>{{ title }}</h2>{{ table(frame) }}{% endfor %}
{% for note in notes %}<p>{{ note }}</p>{% endfor %}
{% endblock %}"""

_BRIEF = """{% extends "base.html" %}{% block main %}
<h1>{{ t('简报', 'Briefing') }}</h1>
<form method="get" action="{{ root }}/brief/download">
<label>{{ t('地块(逗号分隔，留空为全园区)', 'Parcels (comma-separated; empty: the whole park)') }}
<input name="parcels" size="50"></label>
<label>{{ t('格式', 'Format') }} <select name="format">
{% for code, label in brief_formats %}<option value="{{ code }}">{{ label }}</option>{% endfor %}
</select></label>
<input type="hidden" name="lang" value="{{ lang }}">
<button type="submit">{{ t('生成并下载', 'Make and download') }}</button></form>
<h2>{{ t('导出地块', 'Export parcels') }}</h2>
<form method="get" action="{{ root }}/brief/export" id="export">
<label>{{ t('地块(逗号分隔，留空为全园区)', 'Parcels (comma-separated; empty: the whole park)') }}
<input name="parcels" size="50"></label>
<label>{{ t('格式', 'Format') }} <select name="format">
{% for code, label in export_formats %}<option value="{{ code }}">{{ label }}</option>{% endfor %}
</select></label>
<input type="hidden" name="lang" value="{{ lang }}">
<button type="submit">{{ t('导出并下载', 'Export and download') }}</button></form>
{% endblock %}"""

_PROBLEMS = """{% extends "base.html" %}{% block main %}
<h1>{{ t('数据问题', 'Problems') }}</h1>
{% if problems %}<table id="problems"><thead><tr><th>{{ t('级别', 'Severity') }}</th><th>{{ t('代码', 'Code') }}</th>
<th>{{ t('说明', 'Problem') }}</th></tr></thead><tbody>
{% for p in problems %}<tr><td>{{ p.severity }}</td><td>{{ p.code }}</td><td>{{ p.text }}</td></tr>{% endfor %}
</tbody></table>{% else %}<p>{{ t('没有发现问题', 'No problem found') }}</p>{% endif %}
{% endblock %}"""

_LOGIN = """{% extends "base.html" %}{% block main %}
<h1>{{ t('登录', 'Sign in') }}</h1>
{% if error %}<p class="error" id="error">{{ error }}</p>{% endif %}
<form method="post" action="{{ root }}/login" id="login">
<input type="hidden" name="csrf" value="{{ csrf }}">
<input type="hidden" name="next" value="{{ next }}">
<label>{{ t('用户名', 'User name') }} <input name="username" autocomplete="username" required></label>
<label>{{ t('密码', 'Password') }} <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">{{ t('登录', 'Sign in') }}</button></form>
{% endblock %}"""

_ERROR = """{% extends "base.html" %}{% block main %}
<h1>{{ page_title }}</h1><p class="error" id="error">{{ error }}</p>
{% endblock %}"""

TEMPLATES: dict[str, str] = {
    "base.html": _BASE,
    "macros.html": _TABLE,
    "map.html": _MAP,
    "search.html": _SEARCH,
    "parcel.html": _PARCEL,
    "figures.html": _FIGURES,
    "brief.html": _BRIEF,
    "problems.html": _PROBLEMS,
    "login.html": _LOGIN,
    "error.html": _ERROR,
}
"""The pages, by name."""

_ENV: list[Any] = []


def environment() -> Any:
    """The Jinja2 environment of the pages (autoescape on for every template)."""
    if not _ENV:
        import jinja2

        env = jinja2.Environment(
            loader=jinja2.DictLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
        )
        env.filters["cell"] = _cell
        _ENV.append(env)
    return _ENV[0]


def render(template: str, **context: Any) -> str:
    """Render the page ``template`` with ``context`` (``lang`` gives ``t(zh, en)``)."""
    lang = context.get("lang", "zh")
    context.setdefault("t", lambda zh, en: zh if lang == "zh" else en)
    return str(environment().get_template(template).render(**context))


def _cell(value: Any) -> str:
    """A value as a table cell shows it: blank for missing, numbers to 2 places."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        return f"{value:,.2f}"
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return ""
    except ImportError:  # pragma: no cover
        pass
    return str(value)
