/* parkgis tiled parcels: large parks drawn on canvas tiles from shared arcs.
 *
 * Part of parkgis (MIT). Decodes what parkgis.maps.topology.encode_topology
 * writes (packed integers; arcs shared by neighbours, written once; the zoom
 * from which each vertex is drawn), indexes the features in a uniform grid
 * and draws them on a Leaflet GridLayer:
 *
 * - a tile is drawn once and kept by Leaflet: a pan draws only the tiles
 *   that come into view;
 * - a tile draws only the features the grid finds under it, fills grouped by
 *   class (one path per colour) and each shared arc stroked once, with the
 *   vertices of its zoom;
 * - at and below the "overview" zoom (the largest at which the whole park
 *   fits in 4096 px) the park is drawn once into one canvas, and tiles are
 *   copied from it (halved copies for lower zooms): zooming there costs a
 *   copy, not a redraw of 100,000 polygons;
 * - clicks and hovers are answered by a point-in-polygon test over the grid
 *   on the full geometry;
 * - a change (a parcel's colour, a parcel hidden) redraws, in place, only
 *   the tiles and the part of the overview it touches (PartsLayer.refresh).
 *
 * Nothing here touches user text: the page script puts text on the page.
 */
(function () {
  "use strict";

  var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var VALUE = new Int8Array(128).fill(-1);
  for (var c = 0; c < 64; c++) VALUE[ALPHABET.charCodeAt(c)] = c;
  var POW32 = [1, 32, 1024, 32768, 1048576, 33554432, 1073741824];
  var TILE = 256;
  var OVERVIEW_PX = 4096;
  var MAX_LAT = 85.0511287798;

  /* Packed numbers (parkgis.maps.topology.pack_unsigned / pack_signed). */
  function unpack(text, signed) {
    var n = text ? text.length : 0, out = new Int32Array(n), k = 0, v = 0, s = 0;
    for (var i = 0; i < n; i++) {
      var code = text.charCodeAt(i), d = code < 128 ? VALUE[code] : -1;
      if (d < 0 || s > 6) throw new Error("parkgis: packed numbers are damaged");
      v += (d & 31) * POW32[s];
      if (d < 32) {
        out[k++] = signed ? (v % 2 ? -(v + 1) / 2 : v / 2) : v;
        v = 0;
        s = 0;
      } else {
        s++;
      }
    }
    return out.subarray(0, k);
  }

  /* Longitude, latitude → Leaflet's EPSG:3857 pixels at zoom 0. */
  function worldX(lng) {
    return (lng / 360 + 0.5) * TILE;
  }
  function worldY(lat) {
    var s = Math.sin(Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI / 180);
    return (0.5 - 0.25 * Math.log((1 + s) / (1 - s)) / Math.PI) * TILE;
  }

  /* A uniform grid over boxes [minX, minY, maxX, maxY] (4 numbers each). */
  function Grid(boxes, count, target) {
    var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity, i;
    for (i = 0; i < count; i++) {
      if (!(boxes[4 * i] <= boxes[4 * i + 2])) continue;
      if (boxes[4 * i] < minX) minX = boxes[4 * i];
      if (boxes[4 * i + 1] < minY) minY = boxes[4 * i + 1];
      if (boxes[4 * i + 2] > maxX) maxX = boxes[4 * i + 2];
      if (boxes[4 * i + 3] > maxY) maxY = boxes[4 * i + 3];
    }
    this.boxes = boxes;
    this.count = count;
    this.stamp = new Int32Array(count);
    this.mark = 0;
    if (!(minX <= maxX)) {
      this.empty = true;
      return;
    }
    var w = Math.max(maxX - minX, 1e-9), h = Math.max(maxY - minY, 1e-9);
    var cells = Math.max(1, Math.min(count / (target || 2), 1 << 20));
    var size = Math.sqrt((w * h) / cells);
    var nx = Math.max(1, Math.min(4096, Math.ceil(w / size)));
    var ny = Math.max(1, Math.min(4096, Math.ceil(h / size)));
    this.minX = minX;
    this.minY = minY;
    this.extent = [minX, minY, maxX, maxY];
    this.nx = nx;
    this.ny = ny;
    this.kx = nx / w;
    this.ky = ny / h;
    var start = new Int32Array(nx * ny + 1), x0, x1, y0, y1, gx, gy;
    for (i = 0; i < count; i++) {
      if (!(boxes[4 * i] <= boxes[4 * i + 2])) continue;
      x0 = this.cx(boxes[4 * i]); x1 = this.cx(boxes[4 * i + 2]);
      y0 = this.cy(boxes[4 * i + 1]); y1 = this.cy(boxes[4 * i + 3]);
      for (gy = y0; gy <= y1; gy++) for (gx = x0; gx <= x1; gx++) start[gy * nx + gx + 1]++;
    }
    for (i = 0; i < nx * ny; i++) start[i + 1] += start[i];
    var fill = start.slice(0, nx * ny), items = new Int32Array(start[nx * ny]);
    for (i = 0; i < count; i++) {
      if (!(boxes[4 * i] <= boxes[4 * i + 2])) continue;
      x0 = this.cx(boxes[4 * i]); x1 = this.cx(boxes[4 * i + 2]);
      y0 = this.cy(boxes[4 * i + 1]); y1 = this.cy(boxes[4 * i + 3]);
      for (gy = y0; gy <= y1; gy++) for (gx = x0; gx <= x1; gx++) items[fill[gy * nx + gx]++] = i;
    }
    this.start = start;
    this.items = items;
  }
  Grid.prototype.cx = function (x) {
    return Math.max(0, Math.min(this.nx - 1, Math.floor((x - this.minX) * this.kx)));
  };
  Grid.prototype.cy = function (y) {
    return Math.max(0, Math.min(this.ny - 1, Math.floor((y - this.minY) * this.ky)));
  };
  /* The boxes meeting [x0, y0, x1, y1], each once, in grid order. */
  Grid.prototype.query = function (x0, y0, x1, y1, out) {
    out = out || [];
    out.length = 0;
    if (this.empty) return out;
    var b = this.boxes, mark = ++this.mark, stamp = this.stamp, start = this.start, items = this.items;
    if (mark > 2e9) {
      stamp.fill(0);
      mark = this.mark = 1;
    }
    var gx0 = this.cx(x0), gx1 = this.cx(x1), gy0 = this.cy(y0), gy1 = this.cy(y1);
    for (var gy = gy0; gy <= gy1; gy++) {
      for (var gx = gx0; gx <= gx1; gx++) {
        var cell = gy * this.nx + gx;
        for (var k = start[cell]; k < start[cell + 1]; k++) {
          var i = items[k];
          if (stamp[i] === mark) continue;
          stamp[i] = mark;
          if (b[4 * i] <= x1 && b[4 * i + 2] >= x0 && b[4 * i + 1] <= y1 && b[4 * i + 3] >= y0) out.push(i);
        }
      }
    }
    return out;
  };

  /* Features as shared arcs, in world pixels at zoom 0. */
  function Fabric(enc, scale) {
    var n = enc.n, ox = enc.origin[0], oy = enc.origin[1], i, a, v, j;
    var al = unpack(enc.al, false), nArcs = al.length;
    var arcStart = new Int32Array(nArcs + 1);
    for (a = 0; a < nArcs; a++) arcStart[a + 1] = arcStart[a] + al[a];
    var nv = arcStart[nArcs], d = unpack(enc.xy, true);
    if (d.length !== 2 * nv) throw new Error("parkgis: arc lengths and coordinates disagree");
    var X = new Float64Array(nv), Y = new Float64Array(nv), x = 0, y = 0;
    for (v = 0; v < nv; v++) {
      x += d[2 * v];
      y += d[2 * v + 1];
      X[v] = worldX((x + ox) / scale);
      Y[v] = worldY((y + oy) / scale);
    }
    /* The zoom from which each vertex is drawn; arc ends always (0). */
    var level = new Uint8Array(nv), lv = enc.lv, li = 0, z0 = enc.z0 || 0;
    if (lv) {
      for (a = 0; a < nArcs; a++) {
        for (v = arcStart[a] + 1; v < arcStart[a + 1] - 1; v++) level[v] = z0 + VALUE[lv.charCodeAt(li++)];
      }
    }
    var codes = unpack(enc.refs, false), refs = new Int32Array(codes.length), next = 0;
    for (i = 0; i < codes.length; i++) {
      var code = codes[i];
      if (code === 0) {
        refs[i] = next++;
      } else {
        a = next - ((code + 1) >> 1);
        refs[i] = code & 1 ? a : ~a;
      }
    }
    var ra = unpack(enc.ra, false), nRings = ra.length, ringStart = new Int32Array(nRings + 1);
    for (i = 0; i < nRings; i++) ringStart[i + 1] = ringStart[i] + ra[i];
    var fp = enc.fp ? unpack(enc.fp, false) : null, pr = enc.pr ? unpack(enc.pr, false) : null;
    var featRing = new Int32Array(n + 1), p = 0;
    for (i = 0; i < n; i++) {
      var polys = fp ? fp[i] : 1, rings = 0;
      for (j = 0; j < polys; j++) rings += pr ? pr[p++] : 1;
      featRing[i + 1] = featRing[i] + rings;
    }
    /* Boxes: arcs, then features from their arcs. */
    var arcBox = new Float64Array(4 * nArcs);
    for (a = 0; a < nArcs; a++) {
      var bx0 = Infinity, by0 = Infinity, bx1 = -Infinity, by1 = -Infinity;
      for (v = arcStart[a]; v < arcStart[a + 1]; v++) {
        if (X[v] < bx0) bx0 = X[v];
        if (X[v] > bx1) bx1 = X[v];
        if (Y[v] < by0) by0 = Y[v];
        if (Y[v] > by1) by1 = Y[v];
      }
      arcBox[4 * a] = bx0; arcBox[4 * a + 1] = by0; arcBox[4 * a + 2] = bx1; arcBox[4 * a + 3] = by1;
    }
    var box = new Float64Array(4 * n);
    for (i = 0; i < n; i++) {
      var fx0 = Infinity, fy0 = Infinity, fx1 = -Infinity, fy1 = -Infinity;
      for (j = ringStart[featRing[i]]; j < ringStart[featRing[i + 1]]; j++) {
        a = refs[j] < 0 ? ~refs[j] : refs[j];
        if (arcBox[4 * a] < fx0) fx0 = arcBox[4 * a];
        if (arcBox[4 * a + 1] < fy0) fy0 = arcBox[4 * a + 1];
        if (arcBox[4 * a + 2] > fx1) fx1 = arcBox[4 * a + 2];
        if (arcBox[4 * a + 3] > fy1) fy1 = arcBox[4 * a + 3];
      }
      box[4 * i] = fx0; box[4 * i + 1] = fy0; box[4 * i + 2] = fx1; box[4 * i + 3] = fy1;
    }
    this.n = n;
    this.nArcs = nArcs;
    this.X = X;
    this.Y = Y;
    this.level = level;
    this.z0 = z0;
    this.arcStart = arcStart;
    this.arcBox = arcBox;
    this.refs = refs;
    this.ringStart = ringStart;
    this.featRing = featRing;
    this.box = box;
    this.arcMark = new Int32Array(nArcs);
    this.mark = 0;
    this._found = [];
    this.hidden = new Uint8Array(n);
  }

  Fabric.prototype.features = function () {
    if (!this.grid) this.grid = new Grid(this.box, this.n, 2);
    return this.grid;
  };
  /* Features drawn (those with at least one ring, not hidden). */
  Fabric.prototype.count = function () {
    var k = 0;
    for (var i = 0; i < this.n; i++) if (this.has(i)) k++;
    return k;
  };
  Fabric.prototype.extent = function () {
    return this.features().extent || null;
  };
  Fabric.prototype.has = function (i) {
    return !this.hidden[i] && this.featRing[i + 1] > this.featRing[i];
  };
  /* Hide a feature: no longer drawn nor hit (a parcel retired). */
  Fabric.prototype.hide = function (i) {
    this.hidden[i] = 1;
  };
  /* A feature's box [minX, minY, maxX, maxY] in world pixels at zoom 0, or null without rings. */
  Fabric.prototype.bounds = function (i) {
    if (this.featRing[i + 1] === this.featRing[i]) return null;
    return [this.box[4 * i], this.box[4 * i + 1], this.box[4 * i + 2], this.box[4 * i + 3]];
  };

  /* Trace one ring into the current path: world → pixels (× s, − origin).
     The ring is left open: fill closes it, and closePath on long paths is
     slow in Chromium. */
  Fabric.prototype.ring = function (ctx, r, s, ox, oy, z) {
    var X = this.X, Y = this.Y, level = this.level, refs = this.refs, arcStart = this.arcStart;
    var started = false;
    for (var j = this.ringStart[r]; j < this.ringStart[r + 1]; j++) {
      var ref = refs[j], a = ref < 0 ? ~ref : ref, v0 = arcStart[a], v1 = arcStart[a + 1] - 1, v;
      if (ref >= 0) {
        for (v = started ? v0 + 1 : v0; v <= v1; v++) {
          if (level[v] > z) continue;
          if (started) ctx.lineTo(X[v] * s - ox, Y[v] * s - oy);
          else ctx.moveTo(X[v] * s - ox, Y[v] * s - oy);
          started = true;
        }
      } else {
        for (v = started ? v1 - 1 : v1; v >= v0; v--) {
          if (level[v] > z) continue;
          if (started) ctx.lineTo(X[v] * s - ox, Y[v] * s - oy);
          else ctx.moveTo(X[v] * s - ox, Y[v] * s - oy);
          started = true;
        }
      }
    }
  };
  Fabric.prototype.arc = function (ctx, a, s, ox, oy, z) {
    var X = this.X, Y = this.Y, level = this.level, v0 = this.arcStart[a], v1 = this.arcStart[a + 1];
    ctx.moveTo(X[v0] * s - ox, Y[v0] * s - oy);
    for (var v = v0 + 1; v < v1; v++) {
      if (level[v] <= z) ctx.lineTo(X[v] * s - ox, Y[v] * s - oy);
    }
  };

  /* Draw the region [ox, ox + w] × [oy, oy + h] (pixels at zoom z) of a
     coloured fabric: fills by class, then every arc once. */
  Fabric.prototype.paintFills = function (ctx, z, ox, oy, w, h, style) {
    var s = Math.pow(2, z), m = (style.weight + 1) / s, zz = Math.max(z, this.z0);
    var found = this.features().query(ox / s - m, oy / s - m, (ox + w) / s + m, (oy + h) / s + m, this._found);
    var kept = 0;
    for (var fq = 0; fq < found.length; fq++) if (!this.hidden[found[fq]]) found[kept++] = found[fq];
    found.length = kept;
    if (!found.length) return 0;
    var cls = style.cls, nc = style.fills.length, counts = new Int32Array(nc + 1), q, k, f, r;
    for (q = 0; q < found.length; q++) counts[cls[found[q]] + 1]++;
    for (k = 0; k < nc; k++) counts[k + 1] += counts[k];
    var order = new Int32Array(found.length), at = counts.slice(0, nc);
    for (q = 0; q < found.length; q++) order[at[cls[found[q]]]++] = found[q];
    /* One path per feature: Chromium fills many small paths far faster than
       one path of many rings (and fill closes each ring itself). */
    for (k = 0; k < nc; k++) {
      if (counts[k + 1] === counts[k]) continue;
      ctx.fillStyle = style.fills[k];
      for (q = counts[k]; q < counts[k + 1]; q++) {
        f = order[q];
        ctx.beginPath();
        for (r = this.featRing[f]; r < this.featRing[f + 1]; r++) this.ring(ctx, r, s, ox, oy, zz);
        ctx.fill("evenodd");
      }
    }
    var mark = ++this.mark, arcMark = this.arcMark, refs = this.refs, ringStart = this.ringStart;
    ctx.beginPath();
    for (q = 0; q < found.length; q++) {
      f = found[q];
      for (var j = ringStart[this.featRing[f]]; j < ringStart[this.featRing[f + 1]]; j++) {
        var a = refs[j] < 0 ? ~refs[j] : refs[j];
        if (arcMark[a] === mark) continue;
        arcMark[a] = mark;
        this.arc(ctx, a, s, ox, oy, zz);
      }
    }
    ctx.lineWidth = style.weight;
    ctx.strokeStyle = style.stroke;
    ctx.lineJoin = "round";
    ctx.stroke();
    return found.length;
  };

  /* Arcs cut into pieces of at most PIECE vertices, each with its box and its
     distance from the arc's start (so dashes run on across pieces). A tile
     strokes only the pieces it meets: dashing a long outline is costly. */
  var PIECE = 16;
  Fabric.prototype.pieces = function () {
    if (this._pieces) return this._pieces;
    var X = this.X, Y = this.Y, arcStart = this.arcStart, a, v, k = 0, n = 0;
    for (a = 0; a < this.nArcs; a++) n += Math.max(1, Math.ceil((arcStart[a + 1] - arcStart[a] - 1) / PIECE));
    var first = new Int32Array(n), last = new Int32Array(n), along = new Float64Array(n), box = new Float64Array(4 * n);
    for (a = 0; a < this.nArcs; a++) {
      var run = 0;
      for (var v0 = arcStart[a]; k < n; v0 += PIECE) {
        var v1 = Math.min(v0 + PIECE, arcStart[a + 1] - 1);
        var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
        for (v = v0; v <= v1; v++) {
          if (X[v] < x0) x0 = X[v];
          if (X[v] > x1) x1 = X[v];
          if (Y[v] < y0) y0 = Y[v];
          if (Y[v] > y1) y1 = Y[v];
        }
        first[k] = v0; last[k] = v1; along[k] = run;
        box[4 * k] = x0; box[4 * k + 1] = y0; box[4 * k + 2] = x1; box[4 * k + 3] = y1;
        for (v = v0; v < v1; v++) run += Math.sqrt((X[v + 1] - X[v]) * (X[v + 1] - X[v]) + (Y[v + 1] - Y[v]) * (Y[v + 1] - Y[v]));
        k++;
        if (v1 >= arcStart[a + 1] - 1) break;
      }
    }
    this._pieces = { first: first, last: last, along: along, grid: new Grid(box, k, 2) };
    return this._pieces;
  };

  /* Draw the arcs of a fabric as (dashed) lines: zone outlines. */
  Fabric.prototype.paintLines = function (ctx, z, ox, oy, w, h, style) {
    var s = Math.pow(2, z), m = (style.weight + 1) / s, zz = Math.max(z, this.z0);
    var pc = this.pieces(), X = this.X, Y = this.Y, level = this.level;
    var found = pc.grid.query(ox / s - m, oy / s - m, (ox + w) / s + m, (oy + h) / s + m, this._found);
    if (!found.length) return 0;
    ctx.lineWidth = style.weight;
    ctx.strokeStyle = style.stroke;
    ctx.lineJoin = "round";
    if (style.dash) ctx.setLineDash(style.dash);
    for (var q = 0; q < found.length; q++) {
      var k = found[q], v0 = pc.first[k], v1 = pc.last[k];
      ctx.beginPath();
      ctx.moveTo(X[v0] * s - ox, Y[v0] * s - oy);
      for (var v = v0 + 1; v <= v1; v++) {
        if (level[v] <= zz || v === v1) ctx.lineTo(X[v] * s - ox, Y[v] * s - oy);
      }
      if (style.dash) ctx.lineDashOffset = pc.along[k] * s;
      ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.lineDashOffset = 0;
    return found.length;
  };

  /* The feature under a point (world pixels at zoom 0), or -1: even-odd
     crossings over every ring of the full geometry. */
  Fabric.prototype.hit = function (px, py) {
    var found = this.features().query(px, py, px, py, []);
    var X = this.X, Y = this.Y, arcStart = this.arcStart, refs = this.refs;
    for (var q = found.length - 1; q >= 0; q--) {
      var f = found[q], inside = false;
      if (this.hidden[f]) continue;
      for (var j = this.ringStart[this.featRing[f]]; j < this.ringStart[this.featRing[f + 1]]; j++) {
        var a = refs[j] < 0 ? ~refs[j] : refs[j];
        for (var v = arcStart[a]; v < arcStart[a + 1] - 1; v++) {
          var y0 = Y[v], y1 = Y[v + 1];
          if (y0 > py !== y1 > py && px < ((X[v + 1] - X[v]) * (py - y0)) / (y1 - y0) + X[v]) inside = !inside;
        }
      }
      if (inside) return f;
    }
    return -1;
  };

  /* A feature's rings as world-pixel [x, y] lists, at zoom z (all vertices if z is undefined). */
  Fabric.prototype.rings = function (f, z) {
    var out = [], zz = z === undefined ? 255 : Math.max(z, this.z0);
    var path = {
      pts: null,
      moveTo: function (x, y) { this.pts = [[x, y]]; out.push(this.pts); },
      lineTo: function (x, y) { this.pts.push([x, y]); }
    };
    for (var r = this.featRing[f]; r < this.featRing[f + 1]; r++) this.ring(path, r, 1, 0, 0, zz);
    return out;
  };

  /* The whole park drawn once at zoom `zoom` into one canvas; tiles at that
     zoom and below are copied from it (from halved copies further down). */
  function Overview(paint, extent, zoom, ratio) {
    var s = Math.pow(2, zoom);
    this.zoom = zoom;
    this.ratio = ratio;
    this.x0 = Math.floor((extent[0] * s) / TILE) * TILE;
    this.y0 = Math.floor((extent[1] * s) / TILE) * TILE;
    this.w = Math.ceil((extent[2] * s) / TILE) * TILE - this.x0 || TILE;
    this.h = Math.ceil((extent[3] * s) / TILE) * TILE - this.y0 || TILE;
    var canvas = document.createElement("canvas");
    canvas.width = this.w * ratio;
    canvas.height = this.h * ratio;
    var ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    this.drawn = paint(ctx, zoom, this.x0, this.y0, this.w, this.h);
    this.levels = [canvas];
  }
  /* Draw again the region of the overview that `box` (world pixels at zoom 0)
     covers, clipped to it; the halved copies are made again when next used. */
  Overview.prototype.repaint = function (paint, box) {
    var s = Math.pow(2, this.zoom), m = 4;
    var x0 = Math.max(0, Math.floor(box[0] * s - this.x0 - m)), y0 = Math.max(0, Math.floor(box[1] * s - this.y0 - m));
    var x1 = Math.min(this.w, Math.ceil(box[2] * s - this.x0 + m)), y1 = Math.min(this.h, Math.ceil(box[3] * s - this.y0 + m));
    if (x1 <= x0 || y1 <= y0) return;
    var ctx = this.levels[0].getContext("2d");
    ctx.save();
    ctx.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
    ctx.beginPath();
    ctx.rect(x0, y0, x1 - x0, y1 - y0);
    ctx.clip();
    ctx.clearRect(x0, y0, x1 - x0, y1 - y0);
    ctx.translate(x0, y0);
    paint(ctx, this.zoom, this.x0 + x0, this.y0 + y0, x1 - x0, y1 - y0);
    ctx.restore();
    this.levels.length = 1;
  };
  Overview.prototype.level = function (k) {
    while (this.levels.length <= k) {
      var prev = this.levels[this.levels.length - 1];
      if (prev.width <= 2 || prev.height <= 2) return this.levels.length - 1;
      var half = document.createElement("canvas");
      half.width = Math.ceil(prev.width / 2);
      half.height = Math.ceil(prev.height / 2);
      half.getContext("2d").drawImage(prev, 0, 0, prev.width / 2, prev.height / 2);
      this.levels.push(half);
    }
    return k;
  };
  /* Copy the tile whose top-left corner is (ox, oy) at zoom z (≤ this.zoom). */
  Overview.prototype.copy = function (ctx, z, ox, oy, w, h) {
    var k = this.zoom - z, up = Math.pow(2, k), m = this.level(k), src = this.levels[m];
    var f = (this.ratio * Math.pow(2, -m)), sx = (ox * up - this.x0) * f, sy = (oy * up - this.y0) * f;
    var sw = w * up * f, sh = h * up * f;
    var x0 = Math.max(0, sx), y0 = Math.max(0, sy);
    var x1 = Math.min(src.width, sx + sw), y1 = Math.min(src.height, sy + sh);
    if (x1 <= x0 || y1 <= y0) return;
    var kx = (w * this.ratio) / sw, ky = (h * this.ratio) / sh;
    ctx.drawImage(src, x0, y0, x1 - x0, y1 - y0, (x0 - sx) * kx, (y0 - sy) * ky, (x1 - x0) * kx, (y1 - y0) * ky);
  };

  /* One set of canvas tiles drawing several parts (parcels, zone outlines,
     labels), each shown or hidden on its own through a stand-in layer for
     the layer control. One set rather than one per part: every tile is a
     composited element, and fewer of them make zooming cheaper. */
  var PartsLayer = L.GridLayer.extend({
    options: { noWrap: true, maxZoom: 20 },
    initialize: function (extent, options) {
      L.GridLayer.prototype.initialize.call(this, L.extend({ bounds: boundsOf(extent) }, options));
      this._extent = extent;
      this._parts = [];
      this._hold = 0;
      this.stats = { tiles: 0, copied: 0, drawn: {} };
    },
    /* A part: `paint(ctx, z, ox, oy, w, h)` draws the region whose corner is
       (ox, oy), in pixels at zoom z, and returns how many things it drew. */
    part: function (name, paint, options) {
      var parts = this, part = L.extend({ name: name, paint: paint, visible: false, overview: true, minZoom: 0, views: null }, options);
      this._parts.push(part);
      var Toggle = L.Layer.extend({
        onAdd: function (map) {
          part.visible = true;
          parts._changed(map);
        },
        onRemove: function (map) {
          part.visible = false;
          parts._changed(map);
        }
      });
      part.toggle = new Toggle();
      part.toggle.part = part;
      return part.toggle;
    },
    /* Changes inside `fn` redraw the tiles once, at the end. */
    batch: function (map, fn) {
      this._hold++;
      try {
        fn();
      } finally {
        this._hold--;
        this._changed(map);
      }
    },
    _changed: function (map) {
      if (this._hold) return;
      var shown = this._parts.some(function (p) { return p.visible; });
      if (shown && !this._map) map.addLayer(this);
      else if (!shown && this._map) map.removeLayer(this);
      else if (shown) this.redraw();
    },
    overviewZoom: function () {
      if (this._zo !== undefined && this._zoRatio === this._ratio()) return this._zo;
      var e = this._extent, ratio = this._ratio(), zo = -1;
      for (var z = this.options.maxZoom; e && z >= 0; z--) {
        var s = Math.pow(2, z);
        if (((e[2] - e[0]) * s + 2 * TILE) * ratio <= OVERVIEW_PX && ((e[3] - e[1]) * s + 2 * TILE) * ratio <= OVERVIEW_PX) {
          zo = z;
          break;
        }
      }
      this._zo = zo;
      this._zoRatio = ratio;
      return zo;
    },
    _ratio: function () {
      return Math.min(2, Math.max(1, window.devicePixelRatio || 1));
    },
    /* Draw again, in place, what lies in `box` (world pixels at zoom 0; null:
       nothing) on the tiles shown and in the overviews; the parts named in
       `reset` are drawn again everywhere. No tile is taken off the map, so
       nothing flickers and the view stays. */
    refresh: function (box, reset) {
      reset = reset || [];
      for (var k = 0; k < this._parts.length; k++) {
        var part = this._parts[k];
        if (reset.indexOf(part.name) >= 0) part.views = null;
        else if (part.views && box) part.views.repaint(part.paint, box);
      }
      if (!this._map) return;
      var size = this.getTileSize(), m = 8;
      for (var key in this._tiles) {
        var c = this._tiles[key].coords, s = Math.pow(2, c.z);
        var near = box && box[2] * s + m >= c.x * size.x && box[0] * s - m <= (c.x + 1) * size.x &&
          box[3] * s + m >= c.y * size.y && box[1] * s - m <= (c.y + 1) * size.y;
        if (reset.length || near) this._draw(this._tiles[key].el, c);
      }
    },
    createTile: function (coords) {
      var size = this.getTileSize(), ratio = this._ratio();
      var tile = L.DomUtil.create("canvas", "parkgis-tile");
      tile.width = size.x * ratio;
      tile.height = size.y * ratio;
      this.stats.tiles++;
      this._draw(tile, coords);
      return tile;
    },
    _draw: function (tile, coords) {
      var size = this.getTileSize(), ratio = this._ratio(), zo = this.overviewZoom();
      if (tile.width !== size.x * ratio) {
        tile.width = size.x * ratio;
        tile.height = size.y * ratio;
      }
      var ctx = tile.getContext("2d"), z = coords.z, ox = coords.x * size.x, oy = coords.y * size.y;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, tile.width, tile.height);
      for (var k = 0; k < this._parts.length; k++) {
        var part = this._parts[k];
        if (!part.visible || z < part.minZoom || !this._extent) continue;
        if (part.overview && z <= zo) {
          if (!part.views || part.views.ratio !== ratio) part.views = new Overview(part.paint, this._extent, zo, ratio);
          part.views.copy(ctx, z, ox, oy, size.x, size.y);
          this.stats.copied++;
        } else {
          ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
          this.stats.drawn[part.name] = (this.stats.drawn[part.name] || 0) + (part.paint(ctx, z, ox, oy, size.x, size.y) || 0);
          ctx.setTransform(1, 0, 0, 1, 0, 0);
        }
      }
    }
  });

  function rgba(hex, alpha) {
    var h = hex.replace("#", "");
    if (h.length === 3) h = h[0] + h[0] + h[1] + h[1] + h[2] + h[2];
    var v = parseInt(h, 16);
    return "rgba(" + ((v >> 16) & 255) + "," + ((v >> 8) & 255) + "," + (v & 255) + "," + alpha + ")";
  }

  function boundsOf(extent) {
    if (!extent) return undefined;
    var sw = L.CRS.EPSG3857.pointToLatLng(L.point(extent[0], extent[3]), 0);
    var ne = L.CRS.EPSG3857.pointToLatLng(L.point(extent[2], extent[1]), 0);
    return L.latLngBounds(sw, ne).pad(0.02);
  }

  window.parkgisTiles = {
    unpack: unpack,
    worldX: worldX,
    worldY: worldY,
    Fabric: Fabric,
    Grid: Grid,
    rgba: rgba,
    /* Tiles for parts within `extent` (world pixels at zoom 0). */
    layer: function (extent, options) {
      return new PartsLayer(extent, options);
    },
    /* Parcels: fills in the class colours, outlines once per shared arc. */
    fills: function (fabric, style) {
      return function (ctx, z, ox, oy, w, h) { return fabric.paintFills(ctx, z, ox, oy, w, h, style); };
    },
    /* Outlines (reserve zones): every arc once, dashed. */
    lines: function (fabric, style) {
      return function (ctx, z, ox, oy, w, h) { return fabric.paintLines(ctx, z, ox, oy, w, h, style); };
    },
    /* The union of extents (null ones left out). */
    union: function (a, b) {
      if (!a) return b || null;
      if (!b) return a;
      return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
    }
  };
})();
