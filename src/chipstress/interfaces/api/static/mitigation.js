// Mitigation: a plan over a list of budgets (the trade-off curve, actions per point) and a
// what-if comparison of one point's actions, both as background jobs of the API.

import { runJob, toast } from "./api.js";
import { $, S, esc, fmtMoney, num, plotlyConfig, t } from "./state.js";

const M = { plan: null, index: null, compare: null };

export function parseAmount(text) {
  const match = String(text).trim().replace(/[_,\s]/g, "").match(/^([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)([kmb]?)$/i);
  if (!match) return NaN;
  const factor = { "": 1, k: 1e3, m: 1e6, b: 1e9 }[match[2].toLowerCase()];
  return Number(match[1]) * factor;
}

const money = () => M.plan && M.plan.measure !== "exposed";
// The measure's name in the page's language (the server's English one when unknown).
const measureLabel = () => {
  const key = `measure_${M.plan.measure}`;
  return t(key) === key ? M.plan.measure_label : t(key);
};
const fmtValue = (v) => (money() ? fmtMoney(v) : Number.isFinite(num(v)) ? String(num(v)) : "—");

export function resetMitigation() {
  M.plan = null;
  M.index = null;
  M.compare = null;
  $("#plan-actions").placeholder = S.net?.id === "tri-cluster" ? t("actions_example") : t("actions_paste");
  render();
}

export async function runPlan() {
  if (S.busy) return;
  const budgets = $("#plan-budgets").value.split(",").filter((s) => s.trim()).map(parseAmount);
  if (!budgets.length || budgets.some((b) => !Number.isFinite(b) || b < 0)) {
    toast(t("bad_budgets"), true);
    return;
  }
  const body = { network: S.net.id, measure: $("#plan-measure").value, budgets };
  const yaml = $("#plan-actions").value.trim();
  if (yaml) body.yaml = yaml;
  else if (S.net.id === "tri-cluster") body.example = "tri-cluster";
  else {
    toast(t("actions_paste"), true);
    return;
  }
  S.busy = true;
  $("#plan-run").disabled = true;
  try {
    M.plan = await runJob("plan", body, $("#plan-progress"));
    M.index = M.plan.curve.length - 1;
    M.compare = null;
    render();
  } catch (error) {
    toast(error.message, true);
  } finally {
    S.busy = false;
    $("#plan-run").disabled = false;
  }
}

async function comparePoint() {
  if (S.busy || M.index === null) return;
  const edits = M.plan.point_edits[M.index] || [];
  if (!edits.length) {
    toast(t("no_actions_chosen"), true);
    return;
  }
  S.busy = true;
  $("#plan-compare-run").disabled = true;
  try {
    M.compare = await runJob("whatif", { network: S.net.id, edits }, $("#plan-progress"));
    renderCompare();
  } catch (error) {
    toast(error.message, true);
  } finally {
    S.busy = false;
    $("#plan-compare-run").disabled = false;
  }
}

function drawCurve() {
  const el = $("#plan-curve");
  if (!M.plan) {
    el.innerHTML = "";
    return;
  }
  const curve = M.plan.curve;
  const cur = M.plan.currency || "";
  const hover = curve.map(
    (p) =>
      `<b>${esc(t("budget"))} ${fmtMoney(p.budget)} ${esc(cur)}</b><br>${esc(measureLabel())}: ${fmtValue(p.value)}` +
      `<br>${esc(t("spent"))} ${fmtMoney(p.cost)} · ${p.n_actions} ${esc(t("actions"))}<br>` +
      (String(p.actions || "").split(";").filter(Boolean).slice(0, 8).map(esc).join("<br>") || "—"),
  );
  const traces = [
    {
      x: curve.map((p) => num(p.budget)),
      y: curve.map((p) => num(p.value)),
      mode: "lines+markers",
      line: { shape: "hv", color: "#0e7490", width: 2.5 },
      marker: { size: curve.map((_, i) => (i === M.index ? 14 : 9)), color: "#c2410c" },
      name: t("best_plan"),
      hovertext: hover,
      hoverinfo: "text",
    },
  ];
  const baseline = num(M.plan.baseline?.[M.plan.measure]);
  if (Number.isFinite(baseline)) {
    traces.unshift({ x: [0], y: [baseline], mode: "markers", marker: { symbol: "diamond", size: 10, color: "#94a3b8" }, name: t("no_action"), hoverinfo: "y" });
  }
  const layout = {
    margin: { l: 60, r: 16, t: 10, b: 44 },
    height: 300,
    xaxis: { title: { text: `${t("budget")} (${cur})` }, rangemode: "tozero" },
    yaxis: { title: { text: `${measureLabel()}${money() ? ` (${cur})` : ""}` }, rangemode: "tozero" },
    showlegend: false,
    paper_bgcolor: "#fff",
    plot_bgcolor: "#fff",
  };
  Plotly.react(el, traces, layout, plotlyConfig()).then(() => {
    if (!el.dataset.bound) {
      el.dataset.bound = "1";
      el.on("plotly_click", (ev) => {
        const point = ev.points.find((p) => p.curveNumber === el.data.length - 1);
        if (point) {
          M.index = point.pointIndex;
          M.compare = null;
          render();
        }
      });
    }
  });
}

function renderPoint() {
  const box = $("#plan-point");
  if (!M.plan || M.index === null) {
    box.innerHTML = `<p class="muted small">${esc(t("plan_hint"))}</p>`;
    return;
  }
  const p = M.plan.curve[M.index];
  const chosen = M.plan.choices.filter((c) => num(c.budget) === num(p.budget));
  const gap = Number.isFinite(num(p.gap)) ? `${(num(p.gap) * 100).toFixed(2)}%` : "—";
  box.innerHTML = `
    <div class="result-grid">
      <div class="stat"><div class="label">${esc(t("budget"))}</div><div class="value" id="plan-budget" data-value="${p.budget}">${fmtMoney(p.budget)}</div></div>
      <div class="stat"><div class="label">${esc(measureLabel())}</div><div class="value" id="plan-value" data-value="${p.value}">${fmtValue(p.value)}</div></div>
      <div class="stat"><div class="label">${esc(t("spent"))}</div><div class="value" id="plan-cost" data-value="${p.cost}">${fmtMoney(p.cost)}</div></div>
      <div class="stat"><div class="label">${esc(t("gap"))}</div><div class="value">${gap}</div></div>
    </div>
    <div class="table-wrap"><table class="risk-table" id="plan-choices"><thead><tr><th>${esc(t("action"))}</th><th class="num">${esc(t("cost"))}</th></tr></thead><tbody>
      ${chosen.map((c) => `<tr><td title="${esc(c.cost_basis)}">${esc(c.description)}</td><td class="num">${fmtMoney(c.cost)}</td></tr>`).join("") || `<tr><td class="muted">${esc(t("no_actions_chosen"))}</td><td></td></tr>`}
    </tbody></table></div>
    <button type="button" class="ghost" id="plan-compare-run">${esc(t("compare_point"))}</button>
    <div id="plan-compare"></div>`;
  $("#plan-compare-run").addEventListener("click", comparePoint);
  renderCompare();
}

function renderCompare() {
  const box = $("#plan-compare");
  if (!box) return;
  if (!M.compare) {
    box.innerHTML = "";
    return;
  }
  const cur = M.compare.currency || "";
  box.innerHTML = `<div class="table-wrap"><table class="risk-table" id="plan-compare-table"><thead><tr>
    <th>${esc(t("measure"))}</th><th class="num">${esc(t("before"))}</th><th class="num">${esc(t("after"))}</th><th class="num">${esc(t("delta"))}</th></tr></thead><tbody>
    ${M.compare.totals
      .map((r) => {
        const fmt = r.unit.startsWith("currency") ? (v) => `${fmtMoney(v)} ${esc(cur)}` : (v) => (Number.isFinite(num(v)) ? String(Math.round(num(v) * 100) / 100) : "—");
        return `<tr data-metric="${esc(r.metric)}"><td>${esc(r.label)}</td><td class="num" data-value="${r.before}">${fmt(r.before)}</td><td class="num" data-value="${r.after}">${fmt(r.after)}</td><td class="num">${fmt(r.delta)}</td></tr>`;
      })
      .join("")}
  </tbody></table></div>`;
}

function render() {
  drawCurve();
  renderPoint();
}

// After a language switch: the labels of the curve and of the chosen point.
export function renderMitigation() {
  if (S.net) $("#plan-actions").placeholder = S.net.id === "tri-cluster" ? t("actions_example") : t("actions_paste");
  render();
}

export function bindMitigation() {
  $("#plan-run").addEventListener("click", runPlan);
}

export const mitigationState = M;
