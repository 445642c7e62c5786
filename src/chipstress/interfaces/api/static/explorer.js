// The network explorer: every site and supply edge as a graph (cytoscape.js, vendored in
// static/), laid out in columns by tier (upstream on the left, end products on the right)
// or by material; search, filter by cluster and kind, a site's upstream and downstream
// highlighted, sites coloured by their kind or by any number (site figures, sweep columns).
// Needs no coordinates: it draws networks the map cannot.

import { api } from "./api.js";
import { $, S, clusterLabel, enc, esc, kindLabel, num, siteName, t } from "./state.js";

export const explorerHooks = { select: (id) => {} };

const E = { cy: null, edges: [], netId: null, focus: null };
const KIND_COLOURS = {
  fab: "#0e7490", packaging: "#7c3aed", supplier: "#c2410c", equipment: "#15803d", utility: "#0369a1",
  logistics: "#a16207", talent: "#be185d", product: "#dc2626", other: "#64748b",
};
const NODE_COLUMNS = ["tier", "capacity", "inventory", "ttr", "demand", "margin"];
const ROW = 30;
const PER_COLUMN = 24;

// Tier of every site: its own, else 1 for a site with demand and one more than its
// nearest customer's for the others (sites that feed nothing go one column further).
export function tiers(nodes, edges) {
  const tier = new Map();
  nodes.forEach((n) => Number.isFinite(num(n.tier)) && tier.set(n.id, num(n.tier)));
  if (tier.size === nodes.length) return tier;
  const customers = new Map();
  edges.forEach(([s, c]) => customers.set(s, [...(customers.get(s) || []), c]));
  const suppliers = new Map();
  edges.forEach(([s, c]) => suppliers.set(c, [...(suppliers.get(c) || []), s]));
  const queue = nodes.filter((n) => !tier.has(n.id) && num(n.demand) > 0).map((n) => n.id);
  queue.forEach((id) => tier.set(id, 1));
  while (queue.length) {
    const id = queue.shift();
    for (const s of suppliers.get(id) || []) {
      if (!tier.has(s)) {
        tier.set(s, tier.get(id) + 1);
        queue.push(s);
      }
    }
  }
  const deepest = Math.max(1, ...tier.values());
  nodes.forEach((n) => tier.has(n.id) || tier.set(n.id, deepest + 1));
  return tier;
}

// Preset positions: columns (tier, or material ordered by its mean tier), sites stacked in
// each, a tall column split into sub-columns.
export function positions(nodes, edges, by) {
  const tier = tiers(nodes, edges);
  const groups = new Map();
  const key = (n) => (by === "material" ? n.material || "—" : String(tier.get(n.id)));
  nodes.forEach((n) => groups.set(key(n), [...(groups.get(key(n)) || []), n]));
  const meanTier = (list) => list.reduce((a, n) => a + tier.get(n.id), 0) / list.length;
  const order = [...groups.keys()].sort((a, b) => meanTier(groups.get(b)) - meanTier(groups.get(a)) || a.localeCompare(b));
  const out = new Map();
  let x = 0;
  for (const g of order) {
    const list = groups.get(g).sort((a, b) => (a.material || "").localeCompare(b.material || "") || (a.cluster || "").localeCompare(b.cluster || "") || a.id.localeCompare(b.id));
    const columns = Math.ceil(list.length / PER_COLUMN);
    const height = Math.min(list.length, PER_COLUMN) * ROW;
    list.forEach((n, i) => {
      const col = Math.floor(i / PER_COLUMN);
      out.set(n.id, { x: x + col * 150, y: (i % PER_COLUMN) * ROW - height / 2 + (col % 2) * (ROW / 2) });
    });
    x += columns * 150 + (by === "material" ? 90 : 170);
  }
  return out;
}

function numericColumns() {
  const cols = NODE_COLUMNS.map((c) => ({ value: `node:${c}`, label: t(`col_${c}`) }));
  const row = S.sweep?.rows?.[0];
  if (row) {
    Object.keys(row)
      .filter((c) => !["node", "cluster", "kind", "name", "exposed"].includes(c) && S.sweep.rows.some((r) => Number.isFinite(num(r[c]))))
      .forEach((c) => cols.push({ value: `sweep:${c}`, label: `${t("sweep")} · ${t(`col_${c}`) === `col_${c}` ? c : t(`col_${c}`)}` }));
  }
  return cols;
}

function renderControls() {
  const keep = (sel, html) => {
    const el = $(sel);
    const v = el.value;
    el.innerHTML = html;
    if ([...el.options].some((o) => o.value === v)) el.value = v;
  };
  const clusters = [...new Set(S.nodes.map((n) => n.cluster || ""))].sort();
  const kinds = [...new Set(S.nodes.map((n) => n.kind || ""))].sort();
  keep("#explorer-cluster", `<option value="*">${esc(t("all_clusters"))}</option>` + clusters.map((c) => `<option value="${esc(c)}">${esc(clusterLabel(c))}</option>`).join(""));
  keep("#explorer-kind", `<option value="*">${esc(t("all_kinds"))}</option>` + kinds.map((k) => `<option value="${esc(k)}">${esc(kindLabel(k))}</option>`).join(""));
  keep("#explorer-colour", `<option value="kind">${esc(t("colour_kind"))}</option>` + numericColumns().map((c) => `<option value="${esc(c.value)}">${esc(c.label)}</option>`).join(""));
  keep("#explorer-layout", `<option value="tier">${esc(t("by_tier"))}</option><option value="material">${esc(t("by_material"))}</option>`);
}

function ramp(f) {
  // pale yellow -> orange -> dark red
  const stops = [[255, 237, 160], [253, 141, 60], [189, 0, 38]];
  const x = Math.max(0, Math.min(1, f)) * 2;
  const i = Math.min(1, Math.floor(x));
  const a = stops[i];
  const b = stops[i + 1];
  const u = x - i;
  return `rgb(${a.map((v, k) => Math.round(v + (b[k] - v) * u)).join(",")})`;
}

function values(column) {
  const [source, name] = column.split(":");
  if (source === "node") return new Map(S.nodes.map((n) => [n.id, num(n[name])]));
  return new Map((S.sweep?.rows || []).map((r) => [r.node, num(r[name])]));
}

function colour() {
  if (!E.cy) return;
  const column = $("#explorer-colour").value || "kind";
  const legend = $("#explorer-legend");
  if (column === "kind") {
    E.cy.nodes().forEach((n) => n.data("color", KIND_COLOURS[n.data("kind")] || KIND_COLOURS.other));
    const kinds = [...new Set(S.nodes.map((n) => n.kind || "other"))].sort();
    legend.innerHTML = kinds.map((k) => `<span class="key"><i style="background:${KIND_COLOURS[k] || KIND_COLOURS.other}"></i>${esc(kindLabel(k))}</span>`).join("");
    return;
  }
  const vals = values(column);
  const finite = [...vals.values()].filter((v) => Number.isFinite(v));
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  // Values over several decades (losses: one site huge, many small) on a log scale, zero
  // at the pale end, so that the many small risks stay apart.
  const positive = finite.filter((v) => v > 0);
  const floor = Math.min(...positive);
  const log = lo >= 0 && positive.length > 1 && hi / floor > 100;
  const scale = (v) => {
    if (hi === lo) return 1;
    if (!log) return (v - lo) / (hi - lo);
    return v <= 0 ? 0 : 0.08 + (0.92 * Math.log(v / floor)) / Math.log(hi / floor);
  };
  E.cy.nodes().forEach((n) => {
    const v = vals.get(n.id());
    n.data("color", Number.isFinite(v) ? ramp(scale(v)) : "#cbd5e1");
    n.data("value", Number.isFinite(v) ? v : null);
  });
  const fmt = (v) => (Number.isFinite(v) ? new Intl.NumberFormat(undefined, { maximumSignificantDigits: 3 }).format(v) : "—");
  legend.innerHTML = finite.length
    ? `<span class="key">${fmt(lo)}</span><span class="ramp"></span><span class="key">${fmt(hi)}</span>${log ? `<span class="key muted">${esc(t("log_scale"))}</span>` : ""}<span class="key"><i style="background:#cbd5e1"></i>${esc(t("no_value"))}</span>`
    : `<span class="key muted">${esc(t("no_value"))}</span>`;
}

function filter() {
  if (!E.cy) return;
  const cluster = $("#explorer-cluster").value;
  const kind = $("#explorer-kind").value;
  E.cy.batch(() =>
    E.cy.nodes().forEach((n) => {
      const show = (cluster === "*" || n.data("cluster") === cluster) && (kind === "*" || n.data("kind") === kind);
      n.toggleClass("hidden", !show);
    }),
  );
  $("#explorer-count").textContent = `${E.cy.nodes().not(".hidden").length} / ${E.cy.nodes().length}`;
}

function search() {
  if (!E.cy) return [];
  const q = $("#explorer-search").value.trim().toLowerCase();
  const hits = [];
  E.cy.batch(() =>
    E.cy.nodes().forEach((n) => {
      const hit = q !== "" && n.data("search").includes(q);
      n.toggleClass("match", hit);
      if (hit) hits.push(n);
    }),
  );
  return hits;
}

// Highlights a site, everything upstream of it (its suppliers, theirs, ...) and everything
// downstream; the rest fades. `null` clears.
export function focusExplorer(id) {
  E.focus = id;
  if (!E.cy) return;
  E.cy.batch(() => {
    E.cy.elements().removeClass("focus up down faded");
    const node = id ? E.cy.getElementById(id) : null;
    if (!node || node.empty()) return;
    const up = node.predecessors();
    const down = node.successors();
    E.cy.elements().addClass("faded");
    node.removeClass("faded").addClass("focus");
    up.removeClass("faded").addClass("up");
    down.removeClass("faded").addClass("down");
  });
  const node = id ? E.cy.getElementById(id) : null;
  $("#explorer-focus").innerHTML =
    node && !node.empty()
      ? `<b translate="no">${esc(node.data("label"))}</b> · <span class="key"><i class="up"></i>${esc(t("upstream"))} ${node.predecessors("node").length}</span> <span class="key"><i class="down"></i>${esc(t("downstream"))} ${node.successors("node").length}</span>`
      : esc(t("explorer_hint"));
}

function build() {
  const host = $("#explorer");
  if (typeof cytoscape !== "function") {
    host.textContent = t("unavailable");
    return;
  }
  const place = positions(S.nodes, E.edges, $("#explorer-layout").value || "tier");
  const ids = new Set(S.nodes.map((n) => n.id));
  const elements = [
    ...S.nodes.map((n) => ({
      group: "nodes",
      data: {
        id: n.id,
        label: siteName(n),
        kind: n.kind || "other",
        cluster: n.cluster || "",
        search: [n.id, n.name, n.name_zh, n.name_ja, n.material].filter(Boolean).join(" ").toLowerCase(),
        color: "#64748b",
      },
      position: place.get(n.id),
    })),
    ...E.edges.filter(([s, c]) => ids.has(s) && ids.has(c)).map(([s, c], i) => ({ group: "edges", data: { id: `e${i}`, source: s, target: c } })),
  ];
  if (E.cy) E.cy.destroy();
  E.cy = cytoscape({
    container: host,
    elements,
    layout: { name: "preset", fit: true, padding: 24 },
    minZoom: 0.05,
    maxZoom: 4,
    boxSelectionEnabled: false,
    style: [
      { selector: "node", style: { width: 14, height: 14, "background-color": "data(color)", "border-width": 1, "border-color": "#fff", label: "data(label)", "font-size": 11, color: "#0f172a", "text-valign": "center", "text-halign": "right", "text-margin-x": 4, "min-zoomed-font-size": 9, "text-outline-color": "#fff", "text-outline-width": 2 } },
      { selector: "edge", style: { width: 1, "line-color": "#cbd5e1", "curve-style": "straight", "target-arrow-shape": "triangle", "target-arrow-color": "#cbd5e1", "arrow-scale": 0.6, opacity: 0.7 } },
      { selector: ".hidden", style: { display: "none" } },
      { selector: ".faded", style: { opacity: 0.12 } },
      { selector: "node.match", style: { "border-color": "#f59e0b", "border-width": 4, "min-zoomed-font-size": 0 } },
      { selector: "node.up", style: { "border-color": "#2563eb", "border-width": 3, "min-zoomed-font-size": 0 } },
      { selector: "node.down", style: { "border-color": "#dc2626", "border-width": 3, "min-zoomed-font-size": 0 } },
      { selector: "edge.up", style: { "line-color": "#2563eb", "target-arrow-color": "#2563eb", width: 2, opacity: 1 } },
      { selector: "edge.down", style: { "line-color": "#dc2626", "target-arrow-color": "#dc2626", width: 2, opacity: 1 } },
      { selector: "node.focus", style: { width: 22, height: 22, "border-color": "#0f172a", "border-width": 4, "min-zoomed-font-size": 0, "font-weight": "bold", "z-index": 10 } },
    ],
  });
  E.cy.on("tap", "node", (e) => {
    focusExplorer(e.target.id());
    explorerHooks.select(e.target.id());
  });
  E.cy.on("tap", (e) => e.target === E.cy && focusExplorer(null));
  host.dataset.nodes = String(S.nodes.length);
  host.dataset.edges = String(E.cy.edges().length);
  colour();
  filter();
  search();
  focusExplorer(E.focus && S.byId.has(E.focus) ? E.focus : null);
}

// (Re)draws the explorer for the current network (fetching its edges once).
export async function drawExplorer() {
  if (!S.net) return;
  if (E.netId !== S.net.id) {
    E.edges = await api(`/api/networks/${enc(S.net.id)}/edges`);
    E.netId = S.net.id;
    E.focus = null;
  }
  renderControls();
  build();
}

// After a language switch or a new sweep: controls, labels and colours again.
export function refreshExplorer() {
  if (!E.cy) return;
  renderControls();
  E.cy.nodes().forEach((n) => n.data("label", siteName(S.byId.get(n.id()))));
  colour();
  focusExplorer(E.focus);
}

export function bindExplorer() {
  $("#explorer-layout").addEventListener("change", build);
  $("#explorer-colour").addEventListener("change", colour);
  $("#explorer-cluster").addEventListener("change", filter);
  $("#explorer-kind").addEventListener("change", filter);
  $("#explorer-search").addEventListener("input", search);
  $("#explorer-search").addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    const hits = search();
    if (!hits.length) return;
    focusExplorer(hits[0].id());
    E.cy.animate({ center: { eles: hits[0] }, zoom: Math.max(E.cy.zoom(), 1) }, { duration: 200 });
    explorerHooks.select(hits[0].id());
  });
  $("#explorer-fit").addEventListener("click", () => E.cy && E.cy.fit(E.cy.nodes().not(".hidden"), 24));
}

export const explorerState = E;
