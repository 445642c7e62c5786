// Why a site ranks high, from GET /api/networks/{id}/explain/{site}: its verdict, the BOM
// lines it alone supplies, what runs out first, the loss per end product over its TTR and
// what would change the verdict. And the engine's notes in the page's language.

import { $, S, esc, fill, fmtMoney, fmtPeriods, locale, nameOf, num, periodLabel, t } from "./state.js";

// The engine's notes (English) with a translation when their shape is known; the names in
// them (events, sites) stay as they are.
const NOTES = [
  [/^(.*): blocks no source edge of this network$/, "note_blocks_none", ["event"]],
  [/^(.*): hits no site of this network$/, "note_hits_none", ["event"]],
  [/^still recovering at the end of the horizon: (.*)$/, "note_still_recovering", ["events"]],
  [/^the network absorbs it: no demand is lost beyond the undisrupted plan$/, "note_absorbs", []],
  [/^(\d+) site\(s\) have no coordinates and cannot be reached by earthquakes or storms \(not located\): (.*)$/, "note_not_located", ["n", "sites"]],
  [/^no site of the network is hit: the loss is 0$/, "note_no_hit", []],
  [/^the site has no time to recover \(ttr\): give a duration$/, "note_no_ttr", []],
];

export function noteText(note) {
  for (const [pattern, key, names] of NOTES) {
    const m = String(note).match(pattern);
    if (!m) continue;
    const values = Object.fromEntries(names.map((name, i) => [name, `\u0000${i}\u0001`]));
    let html = esc(fill(t(key), values));
    names.forEach((_, i) => (html = html.replace(`\u0000${i}\u0001`, `<span translate="no">${esc(m[i + 1])}</span>`)));
    return html;
  }
  return esc(note);
}

function itemText(item) {
  if (item === null || item === undefined) return "";
  if (typeof item !== "object") return S.byId.has(item) ? `<span translate="no">${esc(nameOf(item))}</span>` : `<span translate="no">${esc(item)}</span>`;
  return Object.entries(item)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => {
      const key = t(`col_${k}`);
      const label = key === `col_${k}` ? `<span translate="no">${esc(k)}</span>` : esc(key);
      let value;
      if (typeof v === "number" || v === "Infinity") value = /profit|loss|cost/.test(k) ? fmtMoney(v) : /tt[rs]|period|time|when|week|day/.test(k) ? fmtPeriods(v) : new Intl.NumberFormat(undefined, { maximumSignificantDigits: 4 }).format(num(v));
      else if (Array.isArray(v)) value = v.map((x) => itemText(x)).join(", ");
      else value = typeof v === "string" && S.byId.has(v) ? `<span translate="no">${esc(nameOf(v))}</span>` : `<span translate="no">${esc(typeof v === "object" ? JSON.stringify(v) : v)}</span>`;
      return `${label}: ${value}`;
    })
    .join(" · ");
}

const name = (id) => `<span translate="no" title="${esc(id)}">${esc(nameOf(id))}</span>`;
const code = (text) => `<span translate="no">${esc(text)}</span>`;
const amount = (v) => (Number.isFinite(num(v)) ? new Intl.NumberFormat(locale(), { maximumSignificantDigits: 4 }).format(num(v)) : "—");

// A template of the labels with {placeholders} filled by HTML (names stay untranslated).
function sentence(key, values) {
  const marks = Object.fromEntries(Object.keys(values).map((k, i) => [k, `\u0000${i}\u0001`]));
  let html = esc(fill(t(key), marks));
  Object.values(values).forEach((v, i) => (html = html.replace(`\u0000${i}\u0001`, v)));
  return html;
}

// One line of an explanation list, by the list it comes from.
const LINES = {
  single_sourced: (x) => sentence("explain_line", { customer: name(x.customer), material: code(x.material), quantity: amount(x.quantity) }),
  runs_out_first: (x) => {
    const what = t(`runs_out_${x.what}`) === `runs_out_${x.what}` ? code(x.what) : esc(t(`runs_out_${x.what}`));
    return `${name(x.node)} · ${what} · ${sentence("explain_at", { at: esc(fmtPeriods(x.at)), unit: esc(periodLabel()) })}`;
  },
  to_change_verdict: (x) => {
    const key = `change_${x.action}`;
    const text = t(key) === key ? itemText(x) : sentence(key, { amount: amount(x.amount), unit: esc(periodLabel()) });
    return x.feasible === false ? `${text} <span class="muted">(${esc(t("not_enough"))})</span>` : text;
  },
};

function list(title, items, id) {
  const rows = Array.isArray(items) ? items : [];
  const line = LINES[title] || itemText;
  return `<h3>${esc(t(title))} · ${rows.length}</h3>${rows.length ? `<ul id="${id}">${rows.slice(0, 30).map((x) => `<li>${line(x)}</li>`).join("")}</ul>` : `<p class="muted small">${esc(t("none"))}</p>`}`;
}

export function explainHtml(x) {
  if (!x) return "";
  if (x.loading) return `<p class="muted small">${esc(t("explain_loading"))}</p>`;
  if (x.errorKey) return `<p class="muted small">${esc(t(x.errorKey))}</p>`;
  if (x.error) return `<p class="muted small">${esc(x.error)}</p>`;
  const cur = S.net?.currency || "";
  const products = Array.isArray(x.per_product) ? x.per_product : [];
  const verdictKey = `verdict_${x.verdict}`;
  const verdict = t(verdictKey) === verdictKey ? String(x.verdict ?? "") : t(verdictKey);
  const bad = x.verdict === "exposed";
  return `<h3 class="explain-head">${esc(t("why"))}</h3>
    ${verdict ? `<div class="verdict ${bad ? "bad" : "ok"}" id="explain-verdict">${esc(verdict)}</div>` : ""}
    ${list("single_sourced", x.single_sourced, "explain-single")}
    ${list("runs_out_first", x.runs_out_first, "explain-runs-out")}
    <h3>${esc(t("per_product"))} · ${products.length}</h3>
    ${products.length ? `<div class="table-wrap"><table class="risk-table" id="explain-products"><thead><tr><th>${esc(t("product"))}</th><th class="num">${esc(t("lost_units"))}</th><th class="num">${esc(t("lost_profit"))} ${esc(cur)}</th></tr></thead><tbody>
      ${products.map((p) => `<tr data-node="${esc(p.product)}"><td class="site-name" translate="no">${esc(nameOf(p.product))}</td><td class="num" data-value="${num(p.lost_units)}">${new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(num(p.lost_units))}</td><td class="num" data-value="${num(p.lost_profit)}">${fmtMoney(p.lost_profit)}</td></tr>`).join("")}
    </tbody></table></div>` : `<p class="muted small">${esc(t("none"))}</p>`}
    ${list("to_change_verdict", x.to_change_verdict, "explain-change")}`;
}

export const explainBox = () => $("#site-explain");
