"""What QGIS reads from a park's GeoPackage: the parcels' style and the fields' Chinese names.

A GeoPackage opened in QGIS shows grey parcels unless it carries a style.
QGIS keeps styles in a ``layer_styles`` table of the GeoPackage itself
(QML, QGIS's own format, and SLD for other clients) and loads the row marked
``useAsDefault`` when the layer is added. The style written here is the one
of parkgis's own maps: a categorized renderer on ``acquisition_status``, one
category per term of the vocabulary (``parkgis/model/vocab.toml``), in its
order, with its colour and its Chinese (or English) label, the same as
:func:`parkgis.maps.style.parcel_classes` gives the HTML map.

Field names in Chinese come through the GeoPackage schema extension: the
``gpkg_data_columns`` table gives each column a ``name`` (its label from
``parkgis/model/schema.toml``), which GDAL (3.3 and later) reads as the
field's alternative name and QGIS shows as its alias.

:func:`write_qgis_metadata` writes both into an open SQLite connection to a
GeoPackage, inside the caller's transaction (the park store writes a park in
one). :func:`layer_style_rows` and :func:`data_columns` give the rows alone.

Examples
--------
>>> rows = layer_style_rows()
>>> rows[0]["f_table_name"], rows[0]["useAsDefault"]
('parcels', 1)
>>> "categorizedSymbol" in rows[0]["styleQML"]
True
>>> data_columns("parcels")[0]["name"]
'地块编号'
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any
from xml.etree import ElementTree as ET

from parkgis.errors import InputError
from parkgis.model.schema import TABLES
from parkgis.model.vocab import ACQUISITION

__all__ = [
    "LAYER_STYLES_COLUMNS",
    "STYLE_FIELD",
    "data_columns",
    "layer_style_rows",
    "style_qml",
    "style_sld",
    "write_qgis_metadata",
]

STYLE_FIELD = "acquisition_status"
"""The field the parcels' default style colours by."""

LAYER_STYLES_COLUMNS = (
    "f_table_catalog",
    "f_table_schema",
    "f_table_name",
    "f_geometry_column",
    "styleName",
    "styleQML",
    "styleSLD",
    "useAsDefault",
    "description",
    "owner",
    "ui",
    "update_time",
)
"""The columns of ``layer_styles``, as QGIS creates the table (after its ``id``)."""

_QGIS_VERSION = "3.22.16-Białowieża"  # the QGIS whose QML this follows (Debian 12's)
_OUTLINE = "#4d4d4d"  # the parcels' outline in parkgis's maps (static/parkgis-map.js)
_FILL_ALPHA = 0.75  # their fill opacity there
_OUTLINE_MM = 0.26
_UPDATE_TIME = "2000-01-01T00:00:00.000Z"  # fixed: the same park gives the same file
_STYLE_NAME = {"zh": "征收状态", "en": "Acquisition status"}
_DESCRIPTION = {
    "zh": "parkgis: 按征收状态着色 (与 parkgis 地图相同)",
    "en": "parkgis: parcels coloured by acquisition status (as in parkgis's maps)",
}
_SCHEMA_EXTENSION = "http://www.geopackage.org/spec121/#extension_schema"
_LAYER_STYLES_DDL = (
    'CREATE TABLE IF NOT EXISTS "layer_styles" ('
    '"id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
    '"f_table_catalog" TEXT(256), "f_table_schema" TEXT(256), "f_table_name" TEXT(256), '
    '"f_geometry_column" TEXT(256), "styleName" TEXT(30), "styleQML" TEXT, "styleSLD" TEXT, '
    '"useAsDefault" BOOLEAN, "description" TEXT, "owner" TEXT(30), "ui" TEXT(30), '
    "\"update_time\" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
)
_DATA_COLUMNS_DDL = (
    "CREATE TABLE IF NOT EXISTS gpkg_data_columns ("
    "table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, "
    "description TEXT, mime_type TEXT, constraint_name TEXT, "
    "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
    "CONSTRAINT gdc_tn UNIQUE (table_name, name))"
)
_EXTENSIONS_DDL = (
    "CREATE TABLE IF NOT EXISTS gpkg_extensions ("
    "table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, "
    "definition TEXT NOT NULL, scope TEXT NOT NULL, "
    "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"
)


def layer_style_rows(*, lang: str = "zh", geometry_column: str = "geom") -> list[dict[str, Any]]:
    """The rows of the GeoPackage ``layer_styles`` table: the parcels' default style.

    Parameters
    ----------
    lang
        Language of the category labels and the style's name (``zh`` or ``en``).
    geometry_column
        The parcels layer's geometry column (GDAL names it ``geom`` in a
        GeoPackage); QGIS matches the style to the layer by table and column.

    Returns
    -------
    list of dict
        One row per style, keyed by :data:`LAYER_STYLES_COLUMNS`.
    """
    _check_lang(lang)
    return [
        {
            "f_table_catalog": "",
            "f_table_schema": "",
            "f_table_name": "parcels",
            "f_geometry_column": geometry_column,
            "styleName": _STYLE_NAME[lang],
            "styleQML": style_qml(lang=lang),
            "styleSLD": style_sld(lang=lang),
            "useAsDefault": 1,
            "description": _DESCRIPTION[lang],
            "owner": "parkgis",
            "ui": None,
            "update_time": _UPDATE_TIME,
        }
    ]


def data_columns(
    table: str, *, columns: Iterable[str] | None = None, lang: str = "zh"
) -> list[dict[str, Any]]:
    """The rows of ``gpkg_data_columns`` for one park table: each field's label.

    Parameters
    ----------
    table
        A park table (``parcels``, ``constraints``, ``projects``, ``targets``,
        ``allocations``); another table has no labels and gives no rows.
    columns
        The columns the table has; fields of the schema it lacks are left
        out. All the schema's fields when not given.
    lang
        Language of the labels.

    Returns
    -------
    list of dict
        Keys ``table_name``, ``column_name``, ``name`` (the label, which
        GDAL reads as the alternative name and QGIS shows as the alias),
        ``title``, ``description``, ``mime_type``, ``constraint_name``.

    Examples
    --------
    >>> [(r["column_name"], r["name"]) for r in data_columns("projects", columns=["name"])]
    [('name', '项目名称')]
    """
    _check_lang(lang)
    schema = TABLES.get(table)
    if schema is None:
        return []
    present = None if columns is None else set(columns)
    rows, taken = [], set()
    for f in schema.fields:
        if present is not None and f.name not in present:
            continue
        label = f.label(lang)
        if label in taken:  # the extension wants names unique within a table
            label = f"{label} ({f.name})"
        taken.add(label)
        rows.append(
            {
                "table_name": table,
                "column_name": f.name,
                "name": label,
                "title": label,
                "description": f.label("en" if lang == "zh" else "zh"),
                "mime_type": None,
                "constraint_name": None,
            }
        )
    return rows


def write_qgis_metadata(
    sqlite_connection: sqlite3.Connection, *, tables: Sequence[str], lang: str = "zh"
) -> None:
    """Write the parcels' default style and the fields' labels into a GeoPackage.

    Creates ``layer_styles`` (registered in ``gpkg_contents`` as an attribute
    table, as QGIS does) and ``gpkg_data_columns`` (registering the schema
    extension in ``gpkg_extensions``) when missing, replaces parkgis's rows
    in them and inserts the new ones. Runs in the caller's transaction and
    neither commits nor rolls back.

    Parameters
    ----------
    sqlite_connection
        An open connection to the GeoPackage.
    tables
        The park tables the GeoPackage holds (``parcels``, ``projects`` …);
        those present in ``gpkg_contents`` get labels, ``parcels`` its style.
    lang
        Language of labels and categories.

    Raises
    ------
    InputError
        When the file is not a GeoPackage (it has no ``gpkg_contents``).
    """
    _check_lang(lang)
    conn = sqlite_connection
    contents = {
        r[0]: r[1]
        for r in conn.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall()
    } if _has_table(conn, "gpkg_contents") else None  # fmt: skip
    if contents is None:
        msg = "not a GeoPackage: it has no gpkg_contents table"
        raise InputError(msg, zh="不是 GeoPackage 文件：缺少 gpkg_contents 表")
    present = [t for t in tables if t in contents]
    conn.execute(_EXTENSIONS_DDL)
    conn.execute(_DATA_COLUMNS_DDL)
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_extensions (table_name, column_name, extension_name, "
        "definition, scope) VALUES ('gpkg_data_columns', NULL, 'gpkg_schema', ?, 'read-write')",
        (_SCHEMA_EXTENSION,),
    )
    for table in present:
        names = [r[1] for r in conn.execute(f'PRAGMA table_info("{_quoted(table)}")')]
        rows = data_columns(table, columns=names, lang=lang)
        conn.execute("DELETE FROM gpkg_data_columns WHERE table_name = ?", (table,))
        conn.executemany(
            "INSERT INTO gpkg_data_columns (table_name, column_name, name, title, description, "
            "mime_type, constraint_name) VALUES (:table_name, :column_name, :name, :title, "
            ":description, :mime_type, :constraint_name)",
            rows,
        )
    if "parcels" not in present:
        return
    found = conn.execute(
        "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = 'parcels'"
    ).fetchone()
    geometry_column = found[0] if found else "geom"
    conn.execute(_LAYER_STYLES_DDL)
    if "layer_styles" not in contents:
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
            "last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', '', "
            "strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
        )
    conn.execute("DELETE FROM layer_styles WHERE f_table_name = 'parcels' AND owner = 'parkgis'")
    rows = layer_style_rows(lang=lang, geometry_column=geometry_column)
    if rows[0]["useAsDefault"]:
        conn.execute("UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = 'parcels'")
    names = ", ".join(f'"{c}"' for c in LAYER_STYLES_COLUMNS)
    marks = ", ".join(f":{c}" for c in LAYER_STYLES_COLUMNS)
    conn.executemany(f"INSERT INTO layer_styles ({names}) VALUES ({marks})", rows)


def style_qml(*, lang: str = "zh") -> str:
    """The parcels' style as a QGIS QML document: categories by acquisition status.

    Examples
    --------
    >>> from xml.etree import ElementTree as ET
    >>> renderer = ET.fromstring(style_qml()).find("renderer-v2")
    >>> renderer.get("type"), renderer.get("attr"), len(renderer.find("categories"))
    ('categorizedSymbol', 'acquisition_status', 7)
    """
    _check_lang(lang)
    root = ET.Element("qgis", version=_QGIS_VERSION, styleCategories="Symbology|Fields")
    renderer = ET.SubElement(
        root,
        "renderer-v2",
        type="categorizedSymbol",
        attr=STYLE_FIELD,
        symbollevels="0",
        enableorderby="0",
        forceraster="0",
        referencescale="-1",
    )
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, term in enumerate(ACQUISITION):
        ET.SubElement(
            categories,
            "category",
            render="true",
            symbol=str(i),
            value=term.code,
            label=term.label(lang),
            type="string",
        )
        symbols.append(_fill_symbol(str(i), term.colour))
    source = ET.SubElement(renderer, "source-symbol")
    source.append(_fill_symbol("0", "#bdbdbd"))
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    aliases = ET.SubElement(root, "aliases")
    for i, row in enumerate(data_columns("parcels", lang=lang)):
        ET.SubElement(aliases, "alias", field=row["column_name"], index=str(i), name=row["name"])
    ET.SubElement(root, "layerGeometryType").text = "2"
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"


def style_sld(*, lang: str = "zh") -> str:
    """The parcels' style as an OGC SLD 1.1 document (one rule per status).

    Examples
    --------
    >>> "<se:Name>已供地</se:Name>" in style_sld()
    True
    """
    _check_lang(lang)
    ns = {
        "": "http://www.opengis.net/sld",
        "ogc": "http://www.opengis.net/ogc",
        "se": "http://www.opengis.net/se",
        "xlink": "http://www.w3.org/1999/xlink",
        "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    }
    sld, ogc, se = (f"{{{ns[k]}}}" for k in ("", "ogc", "se"))
    for prefix, uri in ns.items():
        ET.register_namespace(prefix, uri)
    root = ET.Element(
        f"{sld}StyledLayerDescriptor",
        {
            "version": "1.1.0",
            f"{{{ns['xsi']}}}schemaLocation": (
                "http://www.opengis.net/sld "
                "http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd"
            ),
        },
    )
    layer = ET.SubElement(root, f"{sld}NamedLayer")
    ET.SubElement(layer, f"{se}Name").text = "parcels"
    user = ET.SubElement(layer, f"{sld}UserStyle")
    ET.SubElement(user, f"{se}Name").text = "parcels"
    rules = ET.SubElement(user, f"{se}FeatureTypeStyle")
    for term in ACQUISITION:
        rule = ET.SubElement(rules, f"{se}Rule")
        ET.SubElement(rule, f"{se}Name").text = term.label(lang)
        description = ET.SubElement(rule, f"{se}Description")
        ET.SubElement(description, f"{se}Title").text = term.label(lang)
        where = ET.SubElement(ET.SubElement(rule, f"{ogc}Filter"), f"{ogc}PropertyIsEqualTo")
        ET.SubElement(where, f"{ogc}PropertyName").text = STYLE_FIELD
        ET.SubElement(where, f"{ogc}Literal").text = term.code
        symbolizer = ET.SubElement(rule, f"{se}PolygonSymbolizer")
        fill = ET.SubElement(symbolizer, f"{se}Fill")
        _css(fill, se, fill=term.colour, **{"fill-opacity": str(_FILL_ALPHA)})
        stroke = ET.SubElement(symbolizer, f"{se}Stroke")
        _css(stroke, se, stroke=_OUTLINE, **{"stroke-width": "1", "stroke-linejoin": "bevel"})
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


# --------------------------------------------------------------------------- helpers


def _fill_symbol(name: str, colour: str) -> ET.Element:
    """A QGIS fill symbol (one SimpleFill layer) in ``colour`` with the maps' outline."""
    symbol = ET.Element(
        "symbol", type="fill", name=name, alpha="1", clip_to_extent="1", force_rhr="0"
    )
    layer = ET.SubElement(symbol, "layer", {"class": "SimpleFill"}, enabled="1", locked="0")
    layer.set("pass", "0")
    props = {
        "border_width_map_unit_scale": "3x:0,0,0,0,0,0",
        "color": _rgba(colour, _FILL_ALPHA),
        "joinstyle": "bevel",
        "offset": "0,0",
        "offset_map_unit_scale": "3x:0,0,0,0,0,0",
        "offset_unit": "MM",
        "outline_color": _rgba(_OUTLINE, 0.9),
        "outline_style": "solid",
        "outline_width": str(_OUTLINE_MM),
        "outline_width_unit": "MM",
        "style": "solid",
    }
    options = ET.SubElement(layer, "Option", type="Map")
    for key, value in props.items():
        ET.SubElement(options, "Option", name=key, type="QString", value=value)
    for key, value in props.items():  # the form QGIS before 3.16 reads
        ET.SubElement(layer, "prop", k=key, v=value)
    return symbol


def _rgba(colour: str, alpha: float) -> str:
    """``#rrggbb`` as QGIS writes a colour: ``r,g,b,a`` with a in 0..255.

    Examples
    --------
    >>> _rgba("#1a9850", 0.75)
    '26,152,80,191'
    """
    h = colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(alpha * 255)}"


def _css(parent: ET.Element, se: str, **params: str) -> None:
    for name, value in params.items():
        ET.SubElement(parent, f"{se}SvgParameter", name=name).text = value


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?", (name,)
    ).fetchone()
    return found is not None


def _quoted(name: str) -> str:
    return name.replace('"', '""')


def _check_lang(lang: str) -> None:
    if lang not in ("zh", "en"):
        raise InputError(
            f"lang must be 'zh' or 'en', not {lang!r}", zh=f"语言须为 zh 或 en，不是 {lang!r}"
        )
