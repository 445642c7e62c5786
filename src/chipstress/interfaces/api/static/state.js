// Shared state, labels and number formats of the dashboard.
// Numbers come from the API as JSON; a time-to-survive of "forever" is the string
// "Infinity", which Number() turns into Infinity.

export const S = {
  token: null,
  lang: "en",
  labels: { ui: {}, clusters: {}, kinds: {}, periods: {}, water_levels: {}, countries: {} },
  health: null,
  networks: [],
  net: null,
  nodes: [],
  byId: new Map(),
  sweep: null,
  selected: null,
  detail: null,
  stress: null,
  placing: false,
  epicentre: null,
  districts: [],
  mapValues: {},
  mapTitle: "",
  points: new Map(),
  geo: false,
  busy: false,
  lastWhatIf: null,
};

export const $ = (sel) => document.querySelector(sel);
export const enc = encodeURIComponent;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const esc = (s) =>
  String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

// ------------------------------------------------------------------ labels
export function pick(entry, fallback) {
  if (!entry) return fallback;
  return entry[S.lang] ?? entry.en ?? fallback;
}
export const t = (key) => pick(S.labels.ui[key], key);
export const clusterLabel = (c) => pick(S.labels.clusters[c ?? ""], c || "—");
export const kindLabel = (k) => pick(S.labels.kinds[k ?? ""], k || "—");
export const countryLabel = (c) => pick((S.labels.countries || {})[c ?? ""], c || "—");
export const periodLabel = () => pick(S.labels.periods[S.net?.period ?? "period"], `${S.net?.period ?? "period"}s`);
export const locale = () => ({ en: "en-US", "zh-Hant": "zh-TW", ja: "ja-JP" })[S.lang] || "en-US";
export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
}
export function siteName(node) {
  if (!node) return "";
  if (S.lang === "zh-Hant" && node.name_zh) return node.name_zh;
  if (S.lang === "ja" && node.name_ja) return node.name_ja;
  return node.name || node.id;
}
export const nameOf = (id) => siteName(S.byId.get(id)) || id;

// Every plotly chart of the dashboard: no plotly logo, and no button that sends the chart
// (confidential supplier data) to Plotly's cloud or Chart Studio.
export const PLOTLY_CONFIG = Object.freeze({
  displaylogo: false,
  responsive: true,
  showSendToCloud: false,
  showEditInChartStudio: false,
  showLink: false,
  modeBarButtonsToRemove: ["sendChartToCloud", "sendDataToCloud", "editInChartStudio", "select2d", "lasso2d", "toggleSpikelines"],
});
export const plotlyConfig = (extra = {}) => ({
  ...PLOTLY_CONFIG,
  ...extra,
  modeBarButtonsToRemove: [...PLOTLY_CONFIG.modeBarButtonsToRemove, ...(extra.modeBarButtonsToRemove || [])],
});

// ------------------------------------------------------------------ numbers
export const num = (v) => (v === null || v === undefined || v === "" ? NaN : Number(v));
export function fmtMoney(v) {
  const x = num(v);
  return Number.isFinite(x) ? new Intl.NumberFormat(locale(), { maximumFractionDigits: 0 }).format(x) : "—";
}
export function fmtPeriods(v) {
  const x = num(v);
  if (x === Infinity) return t("forever");
  return Number.isFinite(x) ? x.toFixed(2) : "—";
}
export const fmtPct = (v) => (Number.isFinite(num(v)) ? `${Math.round(num(v) * 100)}%` : "—");
export const dataValue = (v) => (v === null || v === undefined ? "" : String(v));

