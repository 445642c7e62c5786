// The map: the server's plotly figure (offline basemap), a ring on the selected site, the
// epicentre star, clicks on sites (with the sites hidden under them) and on empty map to
// place an epicentre.

import { api, toast } from "./api.js";
import { $, S, clusterLabel, countryLabel, enc, esc, fill, kindLabel, plotlyConfig, t } from "./state.js";

// Set by the app: what a click on a site does.
export const hooks = { select: (id, nearby) => {} };

const mapDiv = () => $("#map");

function indexPoints(fig) {
  // node id -> where its point is drawn (x/y on some axes, or lon/lat on a geo subplot)
  S.points = new Map();
  S.geo = false;
  fig.data.forEach((trace) => {
    const isGeo = (trace.type || "").endsWith("geo") || trace.lon !== undefined;
    const ids = trace.customdata || trace.ids;
    if (!ids) return;
    ids.forEach((cd, i) => {
      const id = Array.isArray(cd) ? cd[0] : cd;
      if (typeof id !== "string" || !S.byId.has(id)) return;
      if (isGeo) {
        S.geo = true;
        S.points.set(id, { geo: trace.geo || "geo", lon: trace.lon[i], lat: trace.lat[i] });
      } else {
        S.points.set(id, { xaxis: trace.xaxis || "x", yaxis: trace.yaxis || "y", x: trace.x[i], y: trace.y[i] });
      }
    });
  });
}

function pointOf(id) {
  const p = S.points.get(id);
  if (p) return p;
  const n = S.byId.get(id);
  if (!n || n.lat === null || n.lon === null) return null;
  return S.geo ? { geo: "geo", lon: n.lon, lat: n.lat } : { xaxis: "x", yaxis: "y", x: n.lon, y: n.lat };
}

function overlay(point, marker, text) {
  if (!point) return { type: "scatter", x: [], y: [], hoverinfo: "skip", showlegend: false };
  if (point.geo) {
    return { type: "scattergeo", geo: point.geo, lon: [point.lon], lat: [point.lat], mode: "markers+text",
      marker, text: [text || ""], textposition: "top center", hoverinfo: "skip", showlegend: false };
  }
  return { type: "scatter", xaxis: point.xaxis, yaxis: point.yaxis, x: [point.x], y: [point.y],
    mode: "markers+text", marker, text: [text || ""], textposition: "top center", hoverinfo: "skip",
    showlegend: false, cliponaxis: false };
}

function overlays() {
  const ring = { size: 22, color: "rgba(0,0,0,0)", line: { color: "#0e7490", width: 3 } };
  const star = { size: 20, symbol: "star", color: "#dc2626", line: { color: "#7f1d1d", width: 1 } };
  const quakeTab = document.querySelector(".tabs button[data-tab='quake']").classList.contains("active");
  const quake = S.epicentre && quakeTab ? epicentrePoint(S.epicentre) : null;
  const mag = Number($("#quake-magnitude").value).toFixed(1);
  return [overlay(S.selected ? pointOf(S.selected) : null, ring), overlay(quake, star, quake ? `M${mag}` : "")];
}

function epicentrePoint({ lat, lon }) {
  if (S.geo) return { geo: "geo", lon, lat };
  // Draw on the axes of the nearest site, with that axes' longitude shift (e.g. +360).
  let best = null;
  for (const [id, p] of S.points) {
    const n = S.byId.get(id);
    const d = (n.lat - lat) ** 2 + (((n.lon - lon + 540) % 360) - 180) ** 2;
    if (!best || d < best.d) best = { d, p, n };
  }
  if (!best) return { xaxis: "x", yaxis: "y", x: lon, y: lat };
  const shift = Math.round((best.p.x - best.n.lon) / 360) * 360;
  let x = lon + shift;
  if (Math.abs(x - best.p.x) > 180) x += x < best.p.x ? 360 : -360;
  return { xaxis: best.p.xaxis, yaxis: best.p.yaxis, x, y: lat };
}

// The server draws the map in English: its title, the inset titles (country, clusters),
// the legend (site kinds) and the "nothing to map" note are put in the page's language here.
// On a narrow screen the legend goes below the map, where it covers no inset title.
function localiseFigure(fig, layout) {
  const raw = String(fig.layout?.title?.text ?? "");
  const missing = raw.match(/\((\d+) site\(s\) without coordinates not shown\)/);
  let heading = S.mapTitle ? fill(t("map_title_by"), { value: S.mapTitle }) : t("map_title");
  if (missing) heading += ` <span style='font-size:12px;color:#6b7280'>(${esc(fill(t("map_missing"), { n: missing[1] }))})</span>`;
  layout.title = { ...(fig.layout.title || {}), text: heading };
  layout.annotations = (fig.layout.annotations || []).map((a) => {
    const text = String(a.text ?? "");
    if (/nothing to map/.test(text)) return { ...a, text: esc(t("nothing_to_map")) };
    const m = text.match(/^<b>(\w)<\/b>\s+(.*?)(?:<br><span([^>]*)>(.*)<\/span>)?$/);
    if (!m) return a;
    const rest = m[4] ? `<br><span${m[3]}>${m[4].split(", ").map((c) => esc(clusterLabel(c))).join(", ")}</span>` : "";
    return { ...a, text: `<b>${m[1]}</b>  ${esc(countryLabel(m[2]))}${rest}` };
  });
  for (const key of Object.keys(layout).filter((k) => k.startsWith("coloraxis"))) {
    const bar = layout[key]?.colorbar;
    if (bar && S.mapTitle) layout[key] = { ...layout[key], colorbar: { ...bar, title: { ...(bar.title || {}), text: S.mapTitle } } };
  }
  fig.data.forEach((trace) => {
    const bar = trace.marker?.colorbar;
    if (bar && S.mapTitle) bar.title = { ...(bar.title || {}), text: S.mapTitle };
    if (trace.showlegend !== false && trace.name && S.labels.kinds[trace.name]) {
      trace.legendgroup = trace.legendgroup || trace.name;
      trace.name = kindLabel(trace.name);
    }
  });
  if (window.innerWidth < 700) {
    layout.legend = { ...(layout.legend || {}), orientation: "h", x: 0, y: 0, yanchor: "top", font: { size: 10 } };
    layout.margin = { ...(layout.margin || {}), l: 30, r: 8, b: 120 };
    layout.title = { ...layout.title, font: { size: 13 } };
    layout.height = (layout.height || 460) + 60;
  }
}

let baseTraces = 0;
let baseFigure = null;
let mapChain = Promise.resolve();

// Map updates run one after the other: a redraw never races an overlay change.
function mapTask(work) {
  mapChain = mapChain.then(work).catch((error) => toast(error.message, true));
  return mapChain;
}

export const drawMap = () => mapTask(drawMapNow);
export const refreshOverlays = () => mapTask(refreshOverlaysNow);

async function drawMapNow() {
  if (!S.net) return;
  const out = await api(`/api/networks/${enc(S.net.id)}/map`, {
    method: "POST",
    json: { values: S.mapValues, title: S.mapTitle || null },
  });
  baseFigure = out.figure;
  $("#map-note").textContent = out.source === "fallback" ? out.note || "" : "";
  indexPoints(baseFigure);
  baseTraces = baseFigure.data.length;
  const layout = { ...baseFigure.layout, autosize: true, clickmode: "event" };
  layout.height = layout.height || 460;
  delete layout.width;
  const gd = mapDiv();
  localiseFigure(baseFigure, layout);
  // The div as tall as the figure: a window resize (responsive) keeps its height.
  gd.style.height = `${layout.height}px`;
  await Plotly.react(gd, [...baseFigure.data, ...overlays()], layout, plotlyConfig({ modeBarButtonsToRemove: ["autoScale2d"] }));
  if (!gd.dataset.bound) {
    gd.dataset.bound = "1";
    gd.on("plotly_click", onPointClick);
    gd.addEventListener("click", onMapClick, true);
  }
}

async function refreshOverlaysNow() {
  const gd = mapDiv();
  if (!baseFigure || !gd.data) return;
  const idx = [baseTraces, baseTraces + 1];
  if (gd.data.length >= baseTraces + 2) await Plotly.deleteTraces(gd, idx);
  await Plotly.addTraces(gd, overlays());
}

function nodeFromPoint(pt) {
  const cd = pt.customdata ?? pt.id;
  const id = Array.isArray(cd) ? cd[0] : cd;
  if (typeof id === "string" && S.byId.has(id)) return id;
  // No id on the point: the nearest site on the same axes.
  let best = null;
  for (const [nid, p] of S.points) {
    const d = p.geo ? (p.lon - pt.lon) ** 2 + (p.lat - pt.lat) ** 2 : (p.x - pt.x) ** 2 + (p.y - pt.y) ** 2;
    if (!best || d < best.d) best = { d, nid };
  }
  return best && best.d < 1 ? best.nid : null;
}

function nearbySites(id) {
  // Other sites drawn within a few pixels of this one (co-located sites hide each other).
  const gd = mapDiv();
  const p = S.points.get(id);
  if (!p || p.geo || !gd._fullLayout) return [];
  const axis = (name, letter) => gd._fullLayout[name.replace(letter, `${letter}axis`)];
  const xa = axis(p.xaxis, "x");
  const ya = axis(p.yaxis, "y");
  if (!xa || !ya) return [];
  const px = xa.l2p(p.x);
  const py = ya.l2p(p.y);
  const out = [];
  for (const [nid, q] of S.points) {
    if (nid === id || q.xaxis !== p.xaxis || q.yaxis !== p.yaxis) continue;
    if (Math.hypot(xa.l2p(q.x) - px, ya.l2p(q.y) - py) <= 9) out.push(nid);
  }
  return out;
}

function onPointClick(event) {
  if (S.placing) return;
  const pt = event.points && event.points[0];
  if (!pt || pt.curveNumber >= baseTraces) return;
  const id = nodeFromPoint(pt);
  if (!id) return;
  const xaxis = pt.data && pt.data.xaxis ? pt.data.xaxis : "x";
  // Remember where it was clicked, so that "also here" lists the sites of that panel.
  if (S.points.has(id) && pt.x !== undefined) S.points.set(id, { ...S.points.get(id), xaxis, yaxis: pt.data.yaxis || "y", x: pt.x, y: pt.y });
  hooks.select(id, nearbySites(id));
}

function lonLatAt(event) {
  const gd = mapDiv();
  const full = gd._fullLayout;
  const box = gd.getBoundingClientRect();
  const px = event.clientX - box.left;
  const py = event.clientY - box.top;
  if (S.geo && full.geo && full.geo._subplot) {
    const g = full.geo;
    const left = full._size.l + full._size.w * g.domain.x[0];
    const top = full._size.t + full._size.h * (1 - g.domain.y[1]);
    const ll = g._subplot.projection.invert([px - left, py - top]);
    return ll ? { lon: ll[0], lat: ll[1] } : null;
  }
  for (const id of full._subplots.cartesian || []) {
    const m = id.match(/^(x\d*)(y\d*)$/);
    if (!m) continue;
    const xa = full[m[1].replace("x", "xaxis")];
    const ya = full[m[2].replace("y", "yaxis")];
    if (!xa || !ya) continue;
    if (px < xa._offset || px > xa._offset + xa._length || py < ya._offset || py > ya._offset + ya._length) continue;
    const x = xa.p2l(px - xa._offset);
    const y = ya.p2l(py - ya._offset);
    // The longitude shift of these axes, from a site drawn on them.
    let shift = 0;
    for (const [nid, p] of S.points) {
      if (p.xaxis === m[1]) {
        shift = Math.round((p.x - S.byId.get(nid).lon) / 360) * 360;
        break;
      }
    }
    let lon = x - shift;
    lon = ((((lon + 180) % 360) + 360) % 360) - 180;
    return { lon, lat: y };
  }
  return null;
}

function onMapClick(event) {
  if (!S.placing) return;
  const ll = lonLatAt(event);
  if (!ll || !Number.isFinite(ll.lat) || Math.abs(ll.lat) > 90) return;
  setEpicentre(Math.round(ll.lat * 100) / 100, Math.round(ll.lon * 100) / 100);
  setPlacing(false);
}

export function setEpicentre(lat, lon) {
  $("#quake-lat").value = lat;
  $("#quake-lon").value = lon;
  S.epicentre = { lat, lon };
  refreshOverlays();
}

export function setPlacing(on) {
  S.placing = on;
  $("#quake-place").classList.toggle("active", on);
  mapDiv().style.cursor = on ? "crosshair" : "";
}

