/* parkgis map: draws a park from the JSON block that parkgis writes beside it.
 *
 * Part of parkgis (MIT). Every piece of user text (parcel and project names,
 * notes, zone names) is put on the page with textContent, never innerHTML,
 * and the data is read with JSON.parse, never evaluated.
 *
 * A map served by `parkgis serve` (its data has `live`) also takes changes
 * in place: state.update(changes) restyles the parcels changed, hides those
 * retired and shows the new legend, summary and reserve zones, keeping the
 * view (see parkgis.serve.live).
 */
(function () {
  "use strict";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function colValue(col, i) {
    if (col.values) return col.values[i];
    var k = col.idx[i];
    return k < 0 ? null : col.dict[k];
  }

  /* Parcels: delta-coded integer coordinates (1/scale degree) with ring,
     polygon and feature counts; see parkgis.maps.layers.encode_polygons. */
  function decodeParcels(p, origin, scale) {
    var out = new Array(p.n), xy = p.xy, rl = p.rl, pr = p.pr, fp = p.fp;
    var xi = 0, ri = 0, pi = 0, x = 0, y = 0, ox = origin[0], oy = origin[1];
    for (var f = 0; f < p.n; f++) {
      var npoly = fp ? fp[f] : 1, polys = [];
      for (var q = 0; q < npoly; q++) {
        var nring = pr ? pr[pi++] : 1, rings = [];
        for (var r = 0; r < nring; r++) {
          var len = rl[ri++], ring = new Array(len);
          for (var k = 0; k < len; k++) {
            x += xy[xi++];
            y += xy[xi++];
            ring[k] = L.latLng((y + oy) / scale, (x + ox) / scale);
          }
          rings.push(ring);
        }
        polys.push(rings);
      }
      out[f] = polys.length === 0 ? null : polys.length === 1 ? polys[0] : polys;
    }
    return out;
  }

  function control(position, build) {
    var Ctl = L.Control.extend({
      options: { position: position },
      onAdd: function () {
        var box = build();
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    return new Ctl();
  }

  function row(table, label, value, cls) {
    var tr = el("tr", cls);
    tr.appendChild(el("th", null, label));
    tr.appendChild(el("td", null, value));
    table.appendChild(tr);
    return tr;
  }

  window.parkgisMaps = window.parkgisMaps || [];

  function pane(map, name, zIndex) {
    var node = map.getPane(name) || map.createPane(name);
    node.style.zIndex = String(zIndex);
    node.style.pointerEvents = "none";
    return name;
  }

  window.parkgisMap = function (map, dataId) {
    var data = JSON.parse(document.getElementById(dataId).textContent);
    var ui = data.ui, p = data.parcels, scale = data.scale;
    var ox = data.origin[0], oy = data.origin[1];
    /* Large parks come as shared arcs, drawn on canvas tiles (parkgis-tiles.js);
       small ones as one Leaflet polygon per parcel. */
    var tiled = p.enc === "topo", T = window.parkgisTiles, fabric = null;
    /* The park's own layers draw on one canvas (fast at 10,000 parcels and
       more); the map's default stays SVG for plugins that style SVG paths
       (leaflet-measure). */
    var renderer = data.renderer === "svg" ? L.svg({ padding: 0.1 }) : L.canvas({ padding: 0.1, tolerance: 3 });
    var state = { map: map, data: data, layers: {}, controls: {}, parcelLayers: [], tiled: tiled, live: data.live || null };
    window.parkgisMaps.push(state);
    map.setMaxZoom(20);
    /* The final view first: layers added after it are drawn once, not twice. */
    map.fitBounds(data.bounds, { padding: [20, 20], animate: false });

    /* Basemaps: one base layer each, with its annotation layer if any. */
    var bases = {}, firstBase = null;
    data.basemaps.forEach(function (b) {
      var opts = { maxZoom: 20, maxNativeZoom: b.max_zoom, attribution: b.attribution };
      if (b.subdomains) opts.subdomains = b.subdomains;
      var tiles = L.tileLayer(b.url, opts);
      var layer = b.labels
        ? L.layerGroup([tiles, L.tileLayer(b.labels, L.extend({}, opts, { attribution: "" }))])
        : tiles;
      bases[b.label] = layer;
      if (!firstBase) {
        firstBase = layer;
        layer.addTo(map);
      }
    });

    /* Parcels, styled through a lookup table by class (classes a change brings are added). */
    function styleOf(colour) {
      return {
        color: "#4d4d4d", weight: 1, opacity: 0.9, fillColor: colour, fillOpacity: 0.75,
        renderer: renderer, className: "parkgis-parcel"
      };
    }
    var styles = data.legend.classes.map(function (c) { return styleOf(c.colour); });
    var classOf = {};
    data.legend.classes.forEach(function (c, k) { classOf["=" + c.code] = k; });
    var cls = tiled ? T.unpack(p.cls, false) : p.cls;
    var fillStyle = null;
    var labelX = null, labelY = null;
    if (tiled) {
      fabric = new T.Fabric(p, scale);
      labelX = new Float64Array(p.n).fill(NaN);
      labelY = new Float64Array(p.n).fill(NaN);
      var lp = T.unpack(p.lp, true), lx = 0, ly = 0, k = 0;
      for (var f = 0; f < p.n; f++) {
        if (!fabric.has(f)) continue;
        lx += lp[2 * k];
        ly += lp[2 * k + 1];
        k++;
        labelX[f] = lx;
        labelY[f] = ly;
      }
    }
    var projectCols = data.projects.cols;
    /* A parcel's popup fields and values: as drawn, or as its last change
       gave them (with that change's fields: the park may have gained one). */
    var changed = {};
    var drawn = {
      labels: p.cols.map(function (col) { return col.label; }),
      keys: p.keys,
      project_labels: projectCols.map(function (col) { return col.label; }),
      project_keys: data.projects.keys
    };
    function fieldsOf(i) {
      return changed[i] ? changed[i].fields : drawn;
    }
    function cell(key, i) {
      var k = fieldsOf(i).keys[key];
      if (k === undefined || k < 0) return null;
      return changed[i] ? changed[i].cols[k] : colValue(p.cols[k], i);
    }
    function cells(i) {
      if (changed[i]) return changed[i].cols;
      return p.cols.map(function (col) { return colValue(col, i); });
    }
    function projectRows(i) {
      if (changed[i]) return changed[i].proj;
      return projectsOf(i).map(function (j) {
        return projectCols.map(function (col) { return colValue(col, j); });
      });
    }
    function parcelName(i) {
      return cell("name", i);
    }
    function parcelId(i) {
      return cell("id", i);
    }
    function labelText(i) {
      return parcelName(i) || parcelId(i) || "";
    }
    function titleText(i) {
      var name = parcelName(i), id = parcelId(i);
      return name && id ? name + " (" + id + ")" : name || id || "";
    }
    function projectsOf(i) {
      return p.proj ? p.proj[i] : [];
    }
    function searchText(i) {
      var parts = [parcelName(i), parcelId(i)], pk = fieldsOf(i).project_keys;
      projectRows(i).forEach(function (values) {
        if (pk.name >= 0) parts.push(values[pk.name]);
        if (pk.company >= 0) parts.push(values[pk.company]);
      });
      return parts.filter(function (s) { return s; }).join(" · ");
    }
    function labelLatLng(i) {
      if (tiled) {
        return isNaN(labelX[i]) ? null : L.latLng((labelY[i] + oy) / scale, (labelX[i] + ox) / scale);
      }
      var x = p.lp[2 * i], y = p.lp[2 * i + 1];
      return x === null ? null : L.latLng((y + oy) / scale, (x + ox) / scale);
    }
    function worldLatLng(x, y) {
      return L.CRS.EPSG3857.pointToLatLng(L.point(x, y), 0);
    }
    function hasParcel(i) {
      return tiled ? fabric.has(i) : !!state.parcelLayers[i];
    }
    function parcelBounds(i) {
      if (!tiled) return state.parcelLayers[i].getBounds();
      var b = fabric.box;
      return L.latLngBounds(worldLatLng(b[4 * i], b[4 * i + 3]), worldLatLng(b[4 * i + 2], b[4 * i + 1]));
    }
    state.labelLatLng = labelLatLng;
    state.parcelBounds = parcelBounds;

    var parcels, tiles = null, zoneFabric = null;
    if (tiled) {
      /* One set of tiles for parcels, zone outlines and labels; each of them
         is a stand-in layer for the layer control. */
      zoneFabric = data.zone_outlines ? new T.Fabric(data.zone_outlines, scale) : null;
      tiles = T.layer(T.union(fabric.extent(), zoneFabric && zoneFabric.pieces().grid.extent), {
        pane: pane(map, "parkgisParcels", 350)
      });
      fillStyle = {
        fills: data.legend.classes.map(function (c) { return T.rgba(c.colour, 0.75); }),
        cls: cls,
        stroke: "rgba(77,77,77,0.9)",
        weight: 1
      };
      parcels = tiles.part("parcels", T.fills(fabric, fillStyle));
      state.fabric = fabric;
      state.tiles = tiles;
      /* The parcel under a point: a point-in-polygon test over the grid index. */
      state.hit = function (lat, lng) {
        if (!parcels.part.visible) return -1;
        return fabric.hit(T.worldX(lng), T.worldY(lat));
      };
    } else {
      var geoms = decodeParcels(p, data.origin, scale);
      parcels = L.geoJSON(null, {
        renderer: renderer,
        style: function (feature) { return styles[cls[feature.properties.i]]; }
      });
      for (var i = 0; i < p.n; i++) {
        if (!geoms[i]) continue;
        var layer = L.polygon(geoms[i], styles[cls[i]]);
        layer.feature = { type: "Feature", properties: { i: i, q: searchText(i) } };
        layer.defaultOptions = layer.options; // what GeoJSON.resetStyle goes back to
        parcels.addLayer(layer);
        state.parcelLayers[i] = layer;
      }
      geoms = null;
    }

    function popupContent(i) {
      var box = el("div", "parkgis-popup");
      box.appendChild(el("div", "parkgis-popup-title", titleText(i)));
      var table = el("table", "parkgis-popup-table"), fields = fieldsOf(i);
      cells(i).forEach(function (v, k) {
        if (v !== null && v !== undefined) row(table, fields.labels[k], v, "parkgis-field");
      });
      var linked = projectRows(i);
      linked.forEach(function (values, n) {
        var head = el("tr", "parkgis-popup-section");
        var th = el("th", null, ui.project + (linked.length > 1 ? " " + (n + 1) : ""));
        th.colSpan = 2;
        head.appendChild(th);
        table.appendChild(head);
        values.forEach(function (v, c) {
          if (v !== null && v !== undefined) row(table, fields.project_labels[c], v, "parkgis-project-field");
        });
      });
      box.appendChild(table);
      return box;
    }
    function tipContent(i) {
      var box = el("div", "parkgis-tip");
      box.appendChild(el("div", "parkgis-tip-title", titleText(i)));
      var area = cell("area", i);
      if (area !== null && area !== undefined) {
        box.appendChild(el("div", null, fieldsOf(i).labels[fieldsOf(i).keys.area] + ": " + area));
      }
      return box;
    }
    var opened = null; // the parcel whose popup is open, and the popup
    function openParcel(i, latlng) {
      if (!hasParcel(i)) return null;
      var at = latlng || labelLatLng(i) || parcelBounds(i).getCenter();
      var popup = L.popup({ maxWidth: 380, className: "parkgis-popup-wrap" })
        .setLatLng(at)
        .setContent(popupContent(i))
        .openOn(map);
      opened = { i: i, popup: popup };
      return popup;
    }
    map.on("popupclose", function (e) {
      if (opened && e.popup === opened.popup) opened = null;
    });
    state.openParcel = openParcel;
    var hovered = -1, tip = null, hover = null;
    if (tiled) {
      /* Hover and click: hit-tested on the full geometry; the hovered parcel is
         outlined on the overlay canvas, its tooltip follows the mouse. */
      var outline = null;
      tip = L.tooltip({ direction: "top", className: "parkgis-tooltip", offset: [0, -6] });
      hover = function (i, latlng) {
        if (i !== hovered) {
          hovered = i;
          if (outline) map.removeLayer(outline);
          outline = null;
          map.getContainer().style.cursor = i >= 0 ? "pointer" : "";
          if (i < 0) {
            map.closeTooltip(tip);
            return;
          }
          var rings = fabric.rings(i).map(function (ring) {
            return ring.map(function (pt) { return worldLatLng(pt[0], pt[1]); });
          });
          outline = L.polygon(rings, { renderer: renderer, interactive: false, fill: false, color: "#000000", weight: 3 }).addTo(map);
          tip.setContent(tipContent(i));
        }
        if (i >= 0) {
          tip.setLatLng(latlng);
          if (!map.hasLayer(tip)) map.openTooltip(tip);
        }
      };
      map.on("mousemove", function (e) { hover(state.hit(e.latlng.lat, e.latlng.lng), e.latlng); });
      map.on("mouseout", function () { hover(-1); });
      map.on("click", function (e) {
        var i = state.hit(e.latlng.lat, e.latlng.lng);
        if (i >= 0) openParcel(i, e.latlng);
      });
      parcels.on("remove", function () { hover(-1); });
    } else {
      parcels.on("click", function (e) {
        openParcel(e.layer.feature.properties.i, e.latlng);
      });
      parcels.on("mouseover", function (e) {
        e.layer.setStyle({ weight: 3, color: "#000000" });
      });
      parcels.on("mouseout", function (e) {
        var base = styles[cls[e.layer.feature.properties.i]];
        e.layer.setStyle({ weight: base.weight, color: base.color });
      });
      parcels.bindTooltip(function (layer) {
        return tipContent(layer.feature.properties.i);
      }, { sticky: true, direction: "top", className: "parkgis-tooltip" });
    }
    if (!tiled) parcels.addTo(map); // tiles: below, with zones and labels, drawn once
    state.layers.parcels = parcels;

    /* Setback corridors, reserve-zone outlines, constraints: drawn above the
       parcels; only the constraints themselves take the mouse. */
    var corridors = L.geoJSON(data.constraints.corridors, {
      renderer: renderer,
      interactive: false,
      style: function (f) {
        return { color: f.properties.colour, weight: 1, dashArray: "4 4", fillColor: f.properties.colour, fillOpacity: 0.18 };
      }
    });
    var zoneStyle = { stroke: "#1a1a1a", weight: 2.5, dash: [8, 6] };
    var zones = tiled
      ? tiles.part("zones", T.lines(zoneFabric, zoneStyle))
      : L.geoJSON(data.zones.map(function (z) { return z.feature; }), {
          renderer: renderer,
          interactive: false,
          style: { color: "#1a1a1a", weight: 2.5, dashArray: "8 6", fill: false }
        });
    var constraints = L.geoJSON(data.constraints.features, {
      renderer: renderer,
      style: function (f) {
        return { color: f.properties.colour, weight: 3, fillColor: f.properties.colour, fillOpacity: 0.35 };
      },
      onEachFeature: function (f, layer) {
        var q = f.properties, box = el("div", "parkgis-tip");
        box.appendChild(el("div", "parkgis-tip-title", q.kind));
        if (q.name) box.appendChild(el("div", null, q.name));
        box.appendChild(el("div", null, ui.setback + ": " + q.setback));
        layer.bindTooltip(box, { sticky: true, className: "parkgis-tooltip" });
      }
    });
    if (data.constraints.corridors.length) corridors.addTo(map);
    if (data.zones.length && !tiled) zones.addTo(map);
    if (data.constraints.features.length) constraints.addTo(map);
    state.layers.corridors = corridors;
    state.layers.zones = zones;
    state.layers.constraints = constraints;

    /* Labels: only at a zoom where parcels are big enough, only in view; on
       tiles for large parks (drawn once per tile, like the parcels). */
    var LABEL_CAP = 400;
    function textWidth(text) {
      var w = 0;
      for (var c = 0; c < text.length; c++) w += text.charCodeAt(c) > 0x2e80 ? 11 : 6.5;
      return w;
    }
    var labels = tiled
      ? tiles.part("labels", paintLabels, { minZoom: data.label_zoom, overview: false })
      : L.layerGroup();
    var labelFont = "11px " + (window.getComputedStyle(map.getContainer()).fontFamily || "sans-serif");
    /* Draw the labels of the tile whose corner is (tx, ty), in pixels at zoom z. */
    function paintLabels(ctx, z, tx, ty, w, h) {
      if (!parcels.part.visible) return 0; // (map.hasLayer is still true while it goes)
      var s = Math.pow(2, z), m = 160 / s, b = fabric.box, drawn = 0;
      var found = fabric.features().query(tx / s - m, ty / s - m, (tx + w) / s + m, (ty + h) / s + m, []);
      ctx.font = labelFont;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.lineJoin = "round";
      ctx.lineWidth = 3;
      ctx.strokeStyle = "rgba(255,255,255,0.9)";
      ctx.fillStyle = "#111111";
      for (var q = 0; q < found.length; q++) {
        var i = found[q];
        if (isNaN(labelX[i]) || !fabric.has(i)) continue;
        var text = labelText(i), tw = textWidth(text);
        if (!text || (b[4 * i + 2] - b[4 * i]) * s < tw + 4 || (b[4 * i + 3] - b[4 * i + 1]) * s < 14) continue;
        var x = T.worldX((labelX[i] + ox) / scale) * s - tx, y = T.worldY((labelY[i] + oy) / scale) * s - ty;
        if (x + tw / 2 < 0 || x - tw / 2 > w || y + 8 < 0 || y - 8 > h) continue;
        ctx.strokeText(text, x, y);
        ctx.fillText(text, x, y);
        drawn++;
      }
      return drawn;
    }
    function fits(i, text) {
      var b = parcelBounds(i);
      var sw = map.latLngToContainerPoint(b.getSouthWest()), ne = map.latLngToContainerPoint(b.getNorthEast());
      return Math.abs(ne.x - sw.x) >= textWidth(text) + 4 && Math.abs(sw.y - ne.y) >= 14;
    }
    function refreshLabels() {
      if (tiled) return; // labels are drawn on the tiles
      labels.clearLayers();
      if (!map.hasLayer(labels) || !map.hasLayer(parcels) || map.getZoom() < data.label_zoom) return;
      var bounds = map.getBounds(), shown = 0;
      for (var i = 0; i < p.n && shown < LABEL_CAP; i++) {
        var at = labelLatLng(i);
        if (!at || !hasParcel(i) || !bounds.contains(at)) continue;
        var text = labelText(i);
        if (!text || !fits(i, text)) continue;
        labels.addLayer(
          L.tooltip({ permanent: true, direction: "center", className: "parkgis-label", interactive: false })
            .setLatLng(at)
            .setContent(el("span", null, text))
        );
        shown++;
      }
    }
    if (tiled) {
      tiles.batch(map, function () {
        parcels.addTo(map);
        if (data.zones.length) zones.addTo(map);
        labels.addTo(map);
      });
    } else {
      labels.addTo(map);
    }
    state.layers.labels = labels;
    state.refreshLabels = refreshLabels;
    map.on("moveend overlayadd overlayremove", refreshLabels);

    /* Legend: the classes with their count and mu, then the other layers. */
    var legend = control("bottomleft", function () {
      return fillLegend(el("div", "parkgis-legend"));
    });
    function fillLegend(box) {
      box.textContent = "";
      box.appendChild(el("div", "parkgis-legend-title", data.legend.title));
      var table = el("table", "parkgis-legend-table");
      var head = el("tr");
      ["", "", ui.col_count, ui.col_mu].forEach(function (t) { head.appendChild(el("th", null, t)); });
      table.appendChild(head);
      data.legend.classes.forEach(function (c) {
        var tr = el("tr", "parkgis-legend-row");
        tr.setAttribute("data-code", c.code);
        var sw = el("td"), swatch = el("span", "parkgis-swatch");
        swatch.style.background = c.colour;
        sw.appendChild(swatch);
        tr.appendChild(sw);
        tr.appendChild(el("td", "parkgis-legend-label", c.label));
        tr.appendChild(el("td", "parkgis-legend-count", c.count));
        tr.appendChild(el("td", "parkgis-legend-mu", c.mu_text));
        table.appendChild(tr);
      });
      var total = el("tr", "parkgis-legend-total");
      total.appendChild(el("td"));
      total.appendChild(el("td", "parkgis-legend-label", ui.total));
      total.appendChild(el("td", "parkgis-legend-count", data.legend.total.count));
      total.appendChild(el("td", "parkgis-legend-mu", data.legend.total.mu_text));
      table.appendChild(total);
      box.appendChild(table);
      var kinds = {};
      data.constraints.features.forEach(function (f) { kinds[f.properties.kind] = f.properties.colour; });
      var extra = el("div", "parkgis-legend-extra");
      Object.keys(kinds).sort().forEach(function (k) {
        var line = el("div", "parkgis-legend-item"), sw = el("span", "parkgis-swatch parkgis-swatch-line");
        sw.style.background = kinds[k];
        line.appendChild(sw);
        line.appendChild(el("span", null, k));
        extra.appendChild(line);
      });
      if (data.constraints.corridors.length) {
        var cl = el("div", "parkgis-legend-item");
        cl.appendChild(el("span", "parkgis-swatch parkgis-swatch-corridor"));
        cl.appendChild(el("span", null, ui.setbacks));
        extra.appendChild(cl);
      }
      if (data.zones.length) {
        var zl = el("div", "parkgis-legend-item");
        zl.appendChild(el("span", "parkgis-swatch parkgis-swatch-zone"));
        zl.appendChild(el("span", null, ui.reserve));
        extra.appendChild(zl);
        data.zones.forEach(function (z) {
          var item = el("div", "parkgis-legend-zone");
          item.appendChild(el("span", "parkgis-legend-zone-name", z.name || ui.no_zone));
          item.appendChild(el("span", "parkgis-legend-zone-text", z.text));
          extra.appendChild(item);
        });
      }
      box.appendChild(extra);
      box.appendChild(el("div", "parkgis-legend-note", data.legend.note));
      (data.legend.notes || []).forEach(function (n) {
        box.appendChild(el("div", "parkgis-legend-note parkgis-legend-warning", n));
      });
      return box;
    }
    legend.addTo(map);
    state.controls.legend = legend;

    /* The GCJ-02 note first, on top of the right-hand column: always visible. */
    if (data.shift) {
      state.controls.shiftNote = control("topright", function () {
        return el("div", "parkgis-shift-note", data.shift.note);
      }).addTo(map);
    }

    /* Summary panel. */
    var summary = control("topright", function () {
      return fillSummary(el("div", "parkgis-summary"));
    });
    function fillSummary(box) {
      box.textContent = "";
      box.appendChild(el("div", "parkgis-summary-title", data.title));
      var table = el("table", "parkgis-summary-table");
      data.summary.forEach(function (s) {
        var tr = row(table, s.label, s.value, "parkgis-summary-row");
        tr.setAttribute("data-key", s.key);
        if (s.note) tr.title = s.note;
      });
      box.appendChild(table);
      return box;
    }
    summary.addTo(map);
    state.controls.summary = summary;

    /* Layer control. */
    var overlays = {};
    overlays[ui.parcels] = parcels;
    overlays[ui.labels] = labels;
    if (data.constraints.features.length) overlays[ui.constraints] = constraints;
    if (data.constraints.corridors.length) overlays[ui.setbacks] = corridors;
    if (data.zones.length) overlays[ui.reserve] = zones;
    state.controls.layers = L.control.layers(bases, overlays, { collapsed: true, position: "topright" }).addTo(map);

    /* Measure (m and mu), fullscreen, search, scale, minimap. leaflet-measure
       catches clicks with a map-sized, focusable marker; Leaflet 1.9 pans
       the map to a marker that gets focus, which would move the map under
       every click. parkgis draws no other markers. */
    L.Marker.mergeOptions({ autoPanOnFocus: false });
    /* leaflet-measure compiles its templates with eval: a page whose
       Content-Security-Policy forbids that (parkgis serve) has no measure tool. */
    if (typeof L.control.measure === "function") {
      state.controls.measure = L.control
        .measure({
          position: "topright",
          primaryLengthUnit: "meters",
          secondaryLengthUnit: "kilometers",
          primaryAreaUnit: "mu",
          secondaryAreaUnit: "sqmeters",
          units: { mu: { factor: 0.0015, display: ui.mu, decimals: 2 } },
          localization: ui.measure_locale,
          activeColor: "#d7301f",
          completedColor: "#fc8d59"
        })
        .addTo(map);
    }
    state.controls.fullscreen = L.control
      .fullscreen({ position: "topleft", title: ui.fullscreen, titleCancel: ui.exit_fullscreen })
      .addTo(map);
    /* Search: over the parcel layers (small parks) or over the names directly. */
    var searchTexts = null;
    var searchSource = tiled
      ? {
          sourceData: function (text, respond) {
            if (!searchTexts) {
              searchTexts = new Array(p.n);
              for (var i = 0; i < p.n; i++) searchTexts[i] = hasParcel(i) ? searchText(i) : "";
            }
            var clean = text.replace(/[.*+?^${}()|[\]\\]/g, ""), found = [], seen = {};
            if (clean) {
              var re = new RegExp(clean, "i");
              for (var j = 0; j < p.n && found.length < 100; j++) {
                var t = searchTexts[j];
                if (t && t !== "__proto__" && !seen.hasOwnProperty(t) && re.test(t)) {
                  seen[t] = true;
                  found.push({ title: t, i: j });
                }
              }
            }
            respond(found);
          },
          formatData: function (found) {
            var out = {};
            found.forEach(function (r) {
              var at = labelLatLng(r.i) || parcelBounds(r.i).getCenter();
              at.parcel = r.i;
              out[r.title] = at;
            });
            return out;
          }
        }
      : { layer: parcels };
    state.controls.search = new L.Control.Search(L.extend(searchSource, {
      propertyName: "q",
      initial: false,
      marker: false,
      position: "topleft",
      textPlaceholder: ui.search,
      textErr: ui.not_found,
      textCancel: ui.cancel,
      buildTip: function (text) {
        return el("li", null, text);
      },
      moveToLocation: function (latlng, title, m) {
        var layer = latlng.layer;
        var i = layer && layer.feature ? layer.feature.properties.i : latlng.parcel;
        if (i !== undefined && i !== null && hasParcel(i)) {
          m.fitBounds(parcelBounds(i), { maxZoom: Math.max(data.label_zoom, m.getZoom()) });
          openParcel(i);
        } else {
          m.panTo(latlng);
        }
      }
    })).addTo(map);
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);

    var mini = [];
    if (data.basemaps.length) {
      var b0 = data.basemaps[0];
      mini.push(L.tileLayer(b0.url, { subdomains: b0.subdomains || "abc", maxNativeZoom: b0.max_zoom, attribution: "" }));
    }
    if (data.outline) {
      mini.push(L.geoJSON(data.outline, { interactive: false, style: { color: "#333333", weight: 1, fillColor: "#8c8c8c", fillOpacity: 0.6 } }));
    }
    if (mini.length) {
      state.controls.minimap = new L.Control.MiniMap(L.layerGroup(mini), {
        position: "bottomright",
        width: 150,
        height: 150,
        zoomLevelOffset: -4,
        toggleDisplay: false
      }).addTo(map);
    }
    /* Changes from parkgis serve (parkgis.serve.live.map_changes), applied in
       place. Nothing is changed, and false returned (the page then loads the
       map again), when they are not for this map or name a parcel it does not
       have: a map never shows a status the park does not have. */
    var ids = null;
    function parcelIndex() {
      if (ids) return ids;
      ids = Object.create(null);
      for (var i = 0; p.keys.id >= 0 && i < p.n; i++) {
        var id = colValue(p.cols[p.keys.id], i);
        if (id !== null && id !== undefined) ids[id] = id in ids ? -1 : i; // twice: not known
      }
      return ids;
    }
    function classIndex(c) {
      var k = classOf["=" + c.code];
      if (k !== undefined) return k;
      styles.push(styleOf(c.colour));
      if (fillStyle) fillStyle.fills.push(T.rgba(c.colour, 0.75));
      classOf["=" + c.code] = styles.length - 1;
      return styles.length - 1;
    }
    function setZones(z) {
      var had = data.zones.length > 0, has = z.zones.length > 0;
      data.zones = z.zones;
      if (tiled) {
        zoneFabric = new T.Fabric(z.zone_outlines, scale);
        zones.part.paint = T.lines(zoneFabric, zoneStyle);
      } else {
        zones.clearLayers();
        zones.addData(z.zones.map(function (q) { return q.feature; }));
      }
      if (has && !had) {
        state.controls.layers.addOverlay(zones, ui.reserve);
        map.addLayer(zones);
      } else if (had && !has) {
        map.removeLayer(zones);
        state.controls.layers.removeLayer(zones);
      }
    }
    state.update = function (change) {
      var live = state.live;
      if (!live || change.page !== live.page || !(change.seq >= live.seq)) return false;
      var fields = {
        labels: change.labels, keys: change.keys,
        project_labels: change.project_labels, project_keys: change.project_keys
      };
      var index = parcelIndex(), known = {}, at = [];
      change.legend.classes.forEach(function (c) { known["=" + c.code] = c; });
      for (var q = 0; q < change.parcels.length; q++) {
        var c = change.parcels[q], i = index[c.id];
        if (i === undefined || i < 0 || (!c.retired && !known["=" + c.cls])) return false;
        at.push(i);
      }
      var box = null, touched = {};
      at.forEach(function (i, q) {
        var c = change.parcels[q], layer = state.parcelLayers[i];
        touched[i] = true;
        if (tiled) box = T.union(box, fabric.bounds(i));
        if (c.retired) {
          if (tiled) fabric.hide(i);
          else if (layer) parcels.removeLayer(layer);
          state.parcelLayers[i] = null;
          return;
        }
        cls[i] = classIndex(known["=" + c.cls]);
        changed[i] = { fields: fields, cols: c.cols, proj: c.proj };
        if (layer) {
          layer.setStyle(styles[cls[i]]);
          layer.feature.properties.q = searchText(i);
        }
      });
      data.legend.classes = change.legend.classes;
      data.legend.total = change.legend.total;
      data.summary = change.summary;
      if (change.zones) setZones(change.zones);
      if (tiled) tiles.refresh(box, change.zones ? ["zones"] : null);
      refreshLabels();
      fillLegend(legend.getContainer());
      fillSummary(summary.getContainer());
      if (opened && touched[opened.i]) {
        if (hasParcel(opened.i)) opened.popup.setContent(popupContent(opened.i));
        else map.closePopup(opened.popup);
      }
      if (hovered >= 0 && touched[hovered]) {
        if (hasParcel(hovered)) tip.setContent(tipContent(hovered));
        else hover(-1);
      }
      searchTexts = null;
      live.seq = change.seq;
      return true;
    };

    refreshLabels();
    state.ready = true;
    return state;
  };
})();
