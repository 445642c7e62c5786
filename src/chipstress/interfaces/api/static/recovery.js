// The recovery chart of a what-if (outage, replay, scenario): the capacity of the sites hit
// and the service level over time on one 0–100 % axis, the lost profit of each period as
// bars below, drawn from the job result's `timeline` rows (see docs/hazards.md). The same
// chart as the report's (chipstress.interfaces.figures.recovery_chart). Results without a
// timeline (runs stored before it existed) draw nothing.

import { S, esc, num, pick, plotlyConfig, t } from "./state.js";

const DAYS = { hour: 1 / 24, day: 1, week: 7, month: 365.25 / 12, year: 365.25 };
const CAPACITY = "#c0392b";
const SERVICE = "#0e7490";

// The name of the run's period (day, week, …) from the network's period and the run's
// period length (network periods per run period).
export function runPeriod(period, periodLength) {
  const length = num(periodLength) > 0 ? num(periodLength) : 1;
  const days = DAYS[period];
  if (days === undefined) return { unit: Math.abs(length - 1) < 1e-9 ? period : "period", length };
  for (const [name, size] of Object.entries(DAYS)) {
    if (Math.abs(length * days - size) <= 1e-6 * size) return { unit: name, length };
  }
  return { unit: "period", length };
}

export const timelineRows = (r) => (Array.isArray(r?.timeline) ? r.timeline : r?.timeline?.rows || []);

function steps(rows, key, edges) {
  const x = rows.map((_, i) => edges[i][0]);
  const y = rows.map((row) => num(row[key]));
  if (rows.length) {
    x.push(edges[rows.length - 1][1]);
    y.push(y[y.length - 1]);
  }
  return { x, y };
}

// Draws the chart into `el` (a fresh element); returns false, drawing nothing, without rows.
export function drawRecovery(el, result) {
  const rows = timelineRows(result)
    .slice()
    .sort((a, b) => num(a.period) - num(b.period));
  if (!el || !rows.length) return false;
  const { unit, length } = runPeriod(result.period || S.net?.period || "week", result.period_length);
  const units = pick(S.labels.periods[unit], `${unit}s`);
  const edges = rows.map((row) => {
    const start = Number.isFinite(num(row.start)) ? num(row.start) / length : num(row.period) - 1;
    const end = Number.isFinite(num(row.end)) ? num(row.end) / length : start + 1;
    return [start, end];
  });
  const when = edges.map(([a, b]) => `${+a.toFixed(3)}–${+b.toFixed(3)} ${esc(units)}`);
  const cur = result.currency || S.net?.currency || "";
  const line = (key, name, color) => {
    const { x, y } = steps(rows, key, edges);
    return {
      x,
      y,
      mode: "lines",
      line: { shape: "hv", color, width: 2.5 },
      name,
      customdata: [...when, when[when.length - 1]],
      hovertemplate: `%{customdata}<br>${esc(name)}: %{y:.1%}<extra></extra>`,
    };
  };
  const traces = [
    line("capacity", t("capacity_hit"), CAPACITY),
    line("service_level", t("service_level"), SERVICE),
    {
      type: "bar",
      x: edges.map(([a, b]) => (a + b) / 2),
      y: rows.map((row) => num(row.lost_profit)),
      width: edges.map(([a, b]) => b - a),
      yaxis: "y2",
      marker: { color: "#9ca3af" },
      name: t("lost_profit"),
      customdata: when,
      hovertemplate: `%{customdata}<br>${esc(t("lost_profit"))}: %{y:,.0f} ${esc(cur)}<extra></extra>`,
    },
  ];
  const end = edges[edges.length - 1][1];
  const layout = {
    title: { text: t("recovery_chart"), font: { size: 14 }, x: 0.01, xanchor: "left" },
    height: 360,
    margin: { l: 56, r: 12, t: 34, b: 72 },
    xaxis: { anchor: "y2", range: [0, end], title: { text: `${t("since_start")} (${units})`, standoff: 4 } },
    yaxis: { domain: [0.38, 1], range: [0, 1.05], tickformat: ".0%" },
    yaxis2: { domain: [0, 0.27], rangemode: "tozero", title: { text: cur, font: { size: 11 } } },
    legend: { orientation: "h", x: 0, y: -0.2, yanchor: "top", font: { size: 11 } },
    bargap: 0.1,
    paper_bgcolor: "#fff",
    plot_bgcolor: "#fff",
    meta: { period_unit: unit, horizon: rows.length },
  };
  Plotly.newPlot(el, traces, layout, plotlyConfig());
  return true;
}
