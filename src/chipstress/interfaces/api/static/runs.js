// The "Events and plans" panels: replay a historical event, run a scenario (events as YAML),
// simulate hazard years, plan a contingency; each result with its figures, its tables and
// the downloads of its stored run (Excel, CSV, HTML report).

import { api, runJob, toast } from "./api.js";
import { downloadBar, runTables } from "./downloads.js";
import { drawRecovery, timelineRows } from "./recovery.js";
import { $, S, dataValue, esc, fmtMoney, fmtPeriods, locale, nameOf, num, siteName, t } from "./state.js";

const R = { events: [], result: null, kind: null, tables: [] };
const MONEY = /(loss|profit|eal|var|cvar|cost|value_at_risk)/;
const PERIODS = /(tts|ttr|window|duration|horizon|periods)/;
const SKIP = new Set(["period", "currency", "status", "name", "description", "period_length", "seed"]);

// A column's label: translated when the labels know it, else its id (kept as data).
export function columnLabel(c) {
  const key = `col_${c}`;
  const label = t(key);
  return label === key ? `<span translate="no">${esc(c)}</span>` : esc(label);
}

function cellText(column, value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "✓" : "✗";
  if (typeof value === "number" || (typeof value === "string" && value === "Infinity")) {
    if (MONEY.test(column)) return fmtMoney(value);
    if (PERIODS.test(column)) return fmtPeriods(value);
    const x = num(value);
    return Number.isFinite(x) ? new Intl.NumberFormat(locale(), { maximumFractionDigits: 3 }).format(x) : String(value);
  }
  if (typeof value === "string" && S.byId.has(value)) return `<span translate="no">${esc(nameOf(value))}</span>`;
  return `<span translate="no">${esc(typeof value === "object" ? JSON.stringify(value) : value)}</span>`;
}

const rowsOf = (v) => (Array.isArray(v) && v.every((r) => r && typeof r === "object") ? v : v && Array.isArray(v.rows) ? v.rows : null);

function tableHtml(name, rows) {
  const cols = rows.length ? Object.keys(rows[0]) : [];
  const shown = rows.slice(0, 50);
  return `<details class="result-table" data-table="${esc(name)}"><summary>${columnLabel(name)} · ${rows.length}</summary>
    <div class="table-wrap"><table class="risk-table"><thead><tr>${cols.map((c) => `<th>${columnLabel(c)}</th>`).join("")}</tr></thead>
    <tbody>${shown.map((r) => `<tr>${cols.map((c) => `<td class="${typeof r[c] === "number" ? "num" : ""}">${cellText(c, r[c])}</td>`).join("")}</tr>`).join("")}</tbody></table></div>
    ${rows.length > shown.length ? `<p class="muted small">+${rows.length - shown.length} ${esc(t("more"))}</p>` : ""}</details>`;
}

function render() {
  const box = $("#runs-result");
  const r = R.result;
  if (!r) {
    box.innerHTML = "";
    return;
  }
  const cur = r.currency || S.net?.currency || "";
  const scalars = Object.entries(r).filter(([k, v]) => !k.startsWith("_") && !SKIP.has(k) && (typeof v === "number" || v === "Infinity"));
  const tables = Object.entries(r).filter(([k, v]) => k !== "timeline" && rowsOf(v) && rowsOf(v).length);
  const hazard = R.kind === "replay" || R.kind === "scenario";
  const loss = num(r.loss ?? r.lost_profit);
  const verdict = hazard
    ? `<div class="verdict ${loss > 0 ? "bad" : "ok"}" id="runs-verdict">${esc(loss > 0 ? t("fails") : t("survives"))}${r.name ? ` · <span translate="no">${esc(r.name)}</span>` : ""}</div>`
    : "";
  box.innerHTML = `
    <div class="result-grid">${scalars
      .slice(0, 8)
      .map(([k, v]) => `<div class="stat"><div class="label">${columnLabel(k)}</div><div class="value" data-key="${esc(k)}" data-value="${dataValue(v)}">${cellText(k, v)}${MONEY.test(k) ? ` <span class="unit">${esc(cur)}</span>` : ""}</div></div>`)
      .join("")}</div>
    ${verdict}
    ${hazard && timelineRows(r).length ? '<div id="runs-recovery" class="recovery-chart"></div>' : ""}
    ${tables.map(([k, v]) => tableHtml(k, rowsOf(v))).join("")}
    ${downloadBar(r._job?.run_id, R.tables)}`;
  if (hazard) drawRecovery($("#runs-recovery"), r);
}

async function start(kind, body) {
  if (S.busy) return;
  S.busy = true;
  document.querySelectorAll("#runs-card button[type=submit]").forEach((b) => (b.disabled = true));
  try {
    R.result = await runJob(kind, { network: S.net.id, ...body }, $("#runs-progress"));
    R.kind = kind;
    R.tables = R.result._job?.run_id ? await runTables(R.result._job.run_id) : [];
    render();
  } catch (error) {
    toast(error.message, true);
  } finally {
    S.busy = false;
    document.querySelectorAll("#runs-card button[type=submit]").forEach((b) => (b.disabled = false));
  }
}

export function renderRunForms() {
  const events = $("#replay-event");
  const current = events.value;
  events.innerHTML = R.events.map((e) => `<option value="${esc(e.id)}" title="${esc(e.description)}" translate="no">${esc(e.date.slice(0, 4))} · ${esc(e.name)}</option>`).join("");
  if (current) events.value = current;
  const site = $("#contingency-node");
  const chosen = site.value;
  site.innerHTML = [...S.nodes]
    .sort((a, b) => siteName(a).localeCompare(siteName(b), locale()))
    .map((n) => `<option value="${esc(n.id)}" translate="no">${esc(siteName(n))}</option>`)
    .join("");
  if (chosen && S.byId.has(chosen)) site.value = chosen;
  render();
}

export async function resetRuns() {
  R.result = null;
  if (!R.events.length) {
    try {
      R.events = await api("/api/events");
    } catch (error) {
      R.events = [];
    }
  }
  renderRunForms();
}

export function bindRuns() {
  document.querySelectorAll("#runs-card .tabs button").forEach((b) =>
    b.addEventListener("click", () => {
      document.querySelectorAll("#runs-card .tabs button").forEach((x) => x.classList.toggle("active", x === b));
      document.querySelectorAll("#runs-card .tab-panel").forEach((p) => (p.hidden = p.dataset.panel !== b.dataset.tab));
    }),
  );
  $("#form-replay").addEventListener("submit", (e) => {
    e.preventDefault();
    start("replay", { event: $("#replay-event").value });
  });
  $("#form-scenario").addEventListener("submit", (e) => {
    e.preventDefault();
    const yaml = $("#scenario-yaml").value.trim();
    if (!yaml) return toast(t("scenario_empty"), true);
    start("scenario", { yaml });
  });
  $("#form-simulate").addEventListener("submit", (e) => {
    e.preventDefault();
    start("simulate", { years: Math.round(Number($("#simulate-years").value)), seed: Math.round(Number($("#simulate-seed").value)) });
  });
  $("#form-contingency").addEventListener("submit", (e) => {
    e.preventDefault();
    start("contingency", {
      disruption: { [$("#contingency-node").value]: Number($("#contingency-fraction").value) },
      duration: Number($("#contingency-duration").value),
    });
  });
}

export const runsState = R;
