// The Alerts panel: alerts raised by `chipstress watch` or POST /api/watch/poll, newest
// first, each with its hazard, sites hit, loss, time-to-survive, the evidence sentences it
// was read from, and a link to the event's stored scenario run (its HTML report).
// Lives in its own module; index.html only holds the #alerts-panel container.

import { api, toast } from "./api.js";
import { $, S, clusterLabel, enc, esc, fill, fmtMoney, fmtPeriods, kindLabel, nameOf, pick, t } from "./state.js";

const REFRESH_MS = 60_000;
const SHOWN = 50;
const STYLE = `
.alerts-card { grid-column: 1 / -1; }
.alerts-list { display: grid; gap: 10px; max-height: 560px; overflow: auto; }
.alert-item { border: 1px solid var(--line); border-left: 4px solid #dc2626; border-radius: 8px; padding: 8px 10px; }
.alert-item h3 { margin: 0 0 4px; font-size: 14px; }
.alert-meta { display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 12px; }
.alert-meta b { font-variant-numeric: tabular-nums; }
.alert-hazard { text-transform: uppercase; font-size: 11px; font-weight: 700; color: #b91c1c; }
.alert-evidence { margin: 6px 0 0; padding-left: 12px; border-left: 2px solid var(--line); font-size: 13px; }
.alert-evidence p { margin: 2px 0; overflow-wrap: anywhere; }
.alert-sites { font-size: 12px; margin-top: 4px; overflow-wrap: anywhere; }
.alert-link { font-size: 12px; }
@media (max-width: 700px) { .alert-meta { flex-direction: column; gap: 2px; } }
`;

// Labels not yet loaded by app.js fall back to these.
const FALLBACK = {
  alerts: "Alerts",
  alerts_none: "No alerts yet: run `chipstress watch`, or check the watched folders.",
  alerts_refresh: "Refresh",
  alerts_poll: "Check folders now",
  alerts_total: "{n} alerts",
  alert_loss: "Loss",
  alert_tts: "Time to survive",
  alert_sites: "Sites hit",
  alert_evidence: "Evidence",
  alert_result: "Scenario result",
  alert_confidence: "Confidence",
  alerts_polled: "{alerts} new alerts from {events} new events",
};
const label = (key) => {
  const value = t(key);
  return value === key ? FALLBACK[key] ?? key : value;
};

let alerts = [];
let total = 0;

function addStyle() {
  if (document.getElementById("alerts-style")) return;
  const style = document.createElement("style");
  style.id = "alerts-style";
  style.textContent = STYLE;
  document.head.appendChild(style);
}

function frame(panel) {
  panel.classList.add("alerts-card");
  panel.innerHTML = `
    <div class="card-head">
      <h2><span data-i18n="alerts">${esc(label("alerts"))}</span> <span id="alerts-count" class="muted small"></span></h2>
      <div class="toolbar">
        <button id="alerts-poll" type="button" class="ghost" data-i18n="alerts_poll">${esc(label("alerts_poll"))}</button>
        <button id="alerts-refresh" type="button" class="ghost" data-i18n="alerts_refresh">${esc(label("alerts_refresh"))}</button>
      </div>
    </div>
    <div id="alerts-list" class="alerts-list" aria-live="polite"></div>`;
}

function siteText(site) {
  const known = S.byId && S.byId.get(site.node);
  const name = known ? nameOf(site.node) : site.name || site.node;
  return `${name} (${kindLabel(site.kind)})`;
}

function resultLink(alert) {
  if (!alert.run_id) return "";
  const path = `/api/runs/${enc(alert.run_id)}/report`;
  // A link cannot send the token: with one, fetch the report and save it (downloads.js).
  const attrs = S.token
    ? `href="#" data-download="${path}" data-file="${esc(alert.run_id)}-report.html"`
    : `href="${path}" target="_blank" rel="noopener"`;
  return `<a class="alert-link" ${attrs} data-run="${esc(alert.run_id)}">${esc(label("alert_result"))} <span translate="no">${esc(alert.run_id)}</span></a>`;
}

function evidenceHtml(alert) {
  const lines = (alert.evidence || []).map((e) => {
    const lang = e.language === "zh-TW" ? "zh-Hant" : e.language === "zh-CN" ? "zh-Hans" : e.language || "";
    const where = e.url || e.source || "";
    return `<p lang="${esc(lang)}">“${esc(e.text)}” <span class="muted small">${esc(where)}</span></p>`;
  });
  return `<div class="alert-evidence" aria-label="${esc(label("alert_evidence"))}">${lines.join("")}</div>`;
}

// The title in the dashboard's language: hazard, places (cluster names translated), sites hit.
function titleOf(alert, hazard, count) {
  const places = [...new Set(alert.places || [])].slice(0, 3).map((p) => (S.labels.clusters?.[p] ? clusterLabel(p) : p));
  const where = places.length ? places.join(", ") : alert.event?.name || "";
  return `${hazard}${where ? ` · ${where}` : ""} · ${label("alert_sites")}: ${count}`;
}

function alertHtml(alert) {
  const sites = (alert.sites || []).map(siteText);
  const when = alert.started || alert.created_at || "";
  const period = pick(S.labels.periods?.[alert.period], `${alert.period}s`);
  const hazard = pick(S.labels.ui?.[`hazard_${alert.hazard}`], alert.hazard);
  return `<article class="alert-item" data-alert="${esc(alert.id)}">
    <div class="alert-hazard">${esc(hazard)}</div>
    <h3 title="${esc(alert.title)}">${esc(titleOf(alert, hazard, sites.length))}</h3>
    <div class="alert-meta">
      <span>${esc(label("alert_loss"))}: <b class="alert-loss">${esc(fmtMoney(alert.loss))}</b> ${esc(alert.currency || "")}</span>
      <span>${esc(label("alert_tts"))}: <b class="alert-tts">${esc(fmtPeriods(alert.tts))}</b> ${esc(period)}</span>
      <span>${esc(label("alert_confidence"))}: <b>${esc(alert.confidence == null ? "—" : Math.round(alert.confidence * 100) + "%")}</b></span>
      <span class="muted">${esc(when.replace("T", " ").slice(0, 16))}</span>
    </div>
    <div class="alert-sites"><span class="muted">${esc(label("alert_sites"))} (${sites.length}):</span> ${esc(sites.slice(0, 12).join(", "))}${sites.length > 12 ? " …" : ""}</div>
    ${evidenceHtml(alert)}
    ${resultLink(alert)}
  </article>`;
}

export function renderAlerts() {
  const list = $("#alerts-list");
  if (!list) return;
  $("#alerts-count").textContent = total ? `· ${label("alerts_total").replace("{n}", total)}` : "";
  list.innerHTML = alerts.length
    ? alerts.map(alertHtml).join("")
    : `<p class="muted" id="alerts-empty">${esc(label("alerts_none"))}</p>`;
}

export async function loadAlerts() {
  const body = await api(`/api/alerts?limit=${SHOWN}`);
  alerts = body.alerts || [];
  total = body.total || 0;
  renderAlerts();
  return alerts;
}

async function pollNow() {
  const network = S.net?.id || "tri-cluster";
  const report = await api("/api/watch/poll", { method: "POST", json: { network } });
  await loadAlerts();
  toast(fill(label("alerts_polled"), { alerts: report.alerts.length, events: report.new_events }));
}

function start() {
  const panel = $("#alerts-panel");
  if (!panel) return;
  addStyle();
  frame(panel);
  $("#alerts-refresh").addEventListener("click", () => loadAlerts().catch((e) => toast(e.message, true)));
  $("#alerts-poll").addEventListener("click", () => pollNow().catch((e) => toast(e.message, true)));
  // Re-render after app.js has switched the language (its handler runs first).
  document.querySelectorAll(".lang-switch button").forEach((b) =>
    b.addEventListener("click", () => setTimeout(renderAlerts, 0)),
  );
  const first = () => loadAlerts().catch((e) => toast(e.message, true));
  // Wait for app.js to load the labels (and ask for a token) before the first read.
  if (document.body.dataset.ready === "1") first();
  else {
    const observer = new MutationObserver(() => {
      if (document.body.dataset.ready === "1") {
        observer.disconnect();
        clearTimeout(fallback);
        first();
      }
    });
    // If the rest of the dashboard fails to start, still show the alerts.
    const fallback = setTimeout(() => {
      observer.disconnect();
      first();
    }, 8000);
    observer.observe(document.body, { attributes: true, attributeFilter: ["data-ready"] });
  }
  setInterval(() => {
    if (!document.hidden) loadAlerts().catch(() => {});
  }, REFRESH_MS);
}

start();
