// chipstress dashboard: plain ES modules over the HTTP API (no build step, no CDN).

import { api, runJob, toast } from "./api.js";
import { bindDownloads, downloadBar, runTables } from "./downloads.js";
import { explainHtml, noteText } from "./explain.js";
import { bindExplorer, drawExplorer, explorerHooks, focusExplorer, refreshExplorer } from "./explorer.js";
import { drawMap, hooks, refreshOverlays, setEpicentre, setPlacing } from "./map.js";
import { bindMitigation, renderMitigation, resetMitigation } from "./mitigation.js";
import { drawRecovery, timelineRows } from "./recovery.js";
import { bindRuns, renderRunForms, resetRuns } from "./runs.js";
import { bindUpload } from "./upload.js";
import {
  $,
  S,
  clusterLabel,
  dataValue,
  enc,
  esc,
  fill,
  fmtMoney,
  fmtPct,
  fmtPeriods,
  kindLabel,
  locale,
  nameOf,
  num,
  periodLabel,
  pick,
  PLOTLY_CONFIG,
  siteName,
  t,
} from "./state.js";

// ------------------------------------------------------------------ networks
function renderSummary() {
  const n = S.net;
  if (!n) return;
  const clusters = Object.keys(n.clusters).length;
  $("#network-summary").innerHTML = [
    `<span class="chip"><b translate="no">${esc(n.name)}</b>${n.source === "builtin" ? ` · ${esc(t("built_in"))}` : ""}</span>`,
    `<span class="chip"><b>${n.nodes}</b> ${esc(t("nodes"))}</span>`,
    `<span class="chip"><b>${n.products}</b> ${esc(t("products"))}</span>`,
    `<span class="chip"><b>${clusters}</b> ${esc(t("clusters"))}</span>`,
    ...Object.entries(n.clusters)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([c, k]) => `<span class="chip">${esc(clusterLabel(c))} <b>${k}</b></span>`),
  ].join("");
  document.querySelectorAll(".period-unit").forEach((el) => (el.textContent = periodLabel()));
}

function renderNetworkSelect() {
  $("#network-select").innerHTML = S.networks
    .map((n) => `<option value="${esc(n.id)}">${esc(n.name)}${n.source === "upload" ? ` (${esc(n.id)})` : ""}</option>`)
    .join("");
  if (S.net) $("#network-select").value = S.net.id;
}

async function loadNetworks(selectId) {
  S.networks = await api("/api/networks");
  const wanted = selectId || new URLSearchParams(location.search).get("network") || S.net?.id;
  const chosen = S.networks.find((n) => n.id === wanted) || S.networks[0];
  S.net = chosen;
  renderNetworkSelect();
  await loadNetwork();
}

async function loadNetwork() {
  const id = S.net.id;
  S.nodes = await api(`/api/networks/${enc(id)}/nodes`);
  S.byId = new Map(S.nodes.map((n) => [n.id, n]));
  S.sweep = null;
  S.selected = null;
  S.detail = null;
  S.explain = null;
  S.mapValues = {};
  S.mapTitle = "";
  renderSummary();
  renderOutageNodes();
  renderRisks();
  renderSite();
  $("#whatif-result").innerHTML = "";
  S.lastWhatIf = null;
  resetMitigation();
  await Promise.all([drawMap(), drawExplorer(), resetRuns(), loadStoredSweeps(), loadDistricts()]);
}


// ------------------------------------------------------------------ risks
async function loadStoredSweeps() {
  const select = $("#stored-select");
  select.innerHTML = `<option value="" data-i18n="load_stored">${esc(t("load_stored"))}</option>`;
  try {
    const runs = await api("/api/runs?kind=sweep");
    runs
      .filter((r) => r.fingerprint === S.net.fingerprint)
      .slice(0, 30)
      .forEach((r) => {
        const opt = document.createElement("option");
        opt.value = r.run_id;
        opt.translate = false;
        opt.textContent = `${r.created_at.replace("T", " ").slice(0, 19)} · ${r.run_id}`;
        select.appendChild(opt);
      });
  } catch (error) {
    select.title = error.message;
  }
}

async function runSweep() {
  if (S.busy) return;
  S.busy = true;
  $("#sweep-button").disabled = true;
  try {
    const body = { network: S.net.id, include_products: true };
    const duration = Number($("#sweep-duration").value);
    if ($("#sweep-duration").value !== "" && duration > 0) body.duration = duration;
    const result = await runJob("sweep", body, $("#sweep-progress"));
    showSweep(result.rows, result._job.run_id);
    loadStoredSweeps();
  } catch (error) {
    toast(error.message, true);
  } finally {
    S.busy = false;
    $("#sweep-button").disabled = false;
  }
}

async function loadStoredSweep(runId) {
  if (!runId) return;
  try {
    const table = await api(`/api/runs/${enc(runId)}/tables/sweep?limit=100000`);
    showSweep(table.rows, runId);
  } catch (error) {
    toast(error.message, true);
  }
}

async function showSweep(rows, runId) {
  S.sweep = { rows, runId, tables: [] };
  S.mapValues = Object.fromEntries(rows.map((r) => [r.node, Number.isFinite(num(r.risk_exposure_index)) ? num(r.risk_exposure_index) : null]));
  S.mapTitle = t("exposure");
  S.sweepOnMap = true;
  renderRisks();
  refreshExplorer();
  drawMap();
  S.sweep.tables = await runTables(runId);
  renderRisks();
}

function renderRisks() {
  const table = $("#risk-table");
  const head = table.querySelector("thead");
  const body = table.querySelector("tbody");
  if (!S.sweep) {
    head.innerHTML = "";
    body.innerHTML = `<tr><td class="muted">${esc(t("none_loaded"))}</td></tr>`;
    $("#sweep-headline").textContent = "";
    $("#sweep-downloads").innerHTML = "";
    return;
  }
  $("#sweep-downloads").innerHTML = downloadBar(S.sweep.runId, S.sweep.tables);
  const rows = S.sweep.rows;
  const exposed = rows.filter((r) => r.exposed).length;
  $("#sweep-headline").textContent = fill(t("sweep_headline"), {
    n: rows.length,
    exposed,
    worst: rows.length ? nameOf(rows[0].node) : "—",
  });
  const cur = S.net.currency || "";
  // Lost profit also as a bar on a log scale: the many small risks stay apart (the
  // exposure index puts the largest at 1 and most others near 0).
  const losses = rows.map((r) => num(r.lost_profit)).filter((v) => v > 0);
  const lo = Math.min(...losses);
  const hi = Math.max(...losses);
  const lossBar = (v) => {
    const x = num(v);
    if (!(x > 0)) return 0;
    return hi > lo ? 8 + (92 * Math.log(x / lo)) / Math.log(hi / lo) : 100;
  };
  head.innerHTML = `<tr><th>#</th><th>${esc(t("site"))}</th><th>${esc(t("cluster"))}</th><th>${esc(t("kind"))}</th>
    <th class="num">TTR</th><th class="num">${esc(t("lost_profit"))} ${esc(cur)}</th><th class="num">TTS</th>
    <th>${esc(t("exposure"))}</th><th>${esc(t("exposed"))}</th></tr>`;
  body.innerHTML = rows
    .map((r, i) => {
      const n = S.byId.get(r.node) || {};
      const idx = num(r.risk_exposure_index);
      const width = Number.isFinite(idx) ? Math.max(2, idx * 100) : 0;
      return `<tr data-node="${esc(r.node)}" class="${r.node === S.selected ? "selected" : ""}">
        <td class="num">${i + 1}</td>
        <td class="site-name" translate="no" title="${esc(r.node)}">${esc(siteName(n) || r.node)}</td>
        <td>${esc(clusterLabel(r.cluster ?? n.cluster))}</td>
        <td>${esc(kindLabel(r.kind ?? n.kind))}</td>
        <td class="num">${fmtPeriods(r.duration)}</td>
        <td class="num" data-value="${dataValue(r.lost_profit)}"><span class="ridx loss" title="${esc(t("log_scale"))}"><i style="width:${lossBar(r.lost_profit).toFixed(1)}%"></i></span>${fmtMoney(r.lost_profit)}</td>
        <td class="num" data-value="${dataValue(r.tts)}">${fmtPeriods(r.tts)}</td>
        <td><span class="ridx"><i style="width:${width}%"></i></span>${Number.isFinite(idx) ? idx.toFixed(3) : "—"}</td>
        <td>${r.exposed ? `<span class="badge bad">▲ ${fmtPeriods(r.ttr_minus_tts)}</span>` : `<span class="badge ok">✓</span>`}</td>
      </tr>`;
    })
    .join("");
}

// ------------------------------------------------------------------ site
async function selectNode(id, nearby) {
  if (nearby !== undefined) S.nearby = nearby;
  else if (!(S.nearby || []).includes(id)) S.nearby = [];
  if (S.nearby.includes(id)) S.nearby = [...S.nearby.filter((n) => n !== id), S.selected].filter(Boolean);
  S.selected = id;
  document.querySelectorAll("#risk-table tr[data-node]").forEach((tr) => tr.classList.toggle("selected", tr.dataset.node === id));
  $("#outage-node").value = id;
  const n = S.byId.get(id);
  if (n && Number.isFinite(num(n.ttr)) && num(n.ttr) > 0) $("#outage-duration").value = num(n.ttr);
  refreshOverlays();
  focusExplorer(id);
  $("#site-panel").innerHTML = `<p class="muted">${esc(nameOf(id))} …</p>`;
  try {
    const [detail, stress] = await Promise.all([
      api(`/api/networks/${enc(S.net.id)}/nodes/${enc(id)}`),
      api(`/api/networks/${enc(S.net.id)}/nodes/${enc(id)}/stress`),
    ]);
    if (S.selected !== id) return;
    S.detail = detail;
    S.stress = stress;
    S.explain = { loading: true };
    renderSite();
    // The explanation (what makes the site critical) comes apart: it solves more programs.
    try {
      S.explain = await api(`/api/networks/${enc(S.net.id)}/explain/${enc(id)}`);
    } catch (error) {
      S.explain = error.status === 404 ? { errorKey: "explain_unavailable" } : { error: error.message };
    }
    if (S.selected !== id) return;
    renderSite();
  } catch (error) {
    toast(error.message, true);
  }
}

function hops(depth) {
  if (S.lang === "en") return depth === 1 ? "1 hop" : `${depth} hops`;
  return `${depth} ${t("hops")}`;
}

function depList(items) {
  if (!items.length) return `<p class="muted small">${esc(t("none"))}</p>`;
  const shown = items.slice(0, 40);
  const more = items.length > shown.length ? `<li class="muted">+${items.length - shown.length} ${esc(t("more"))}</li>` : "";
  return `<ul>${shown
    .map(
      (d) => `<li><a data-goto="${esc(d.id)}" translate="no" title="${esc(d.id)}">${esc(nameOf(d.id))}</a>
        ${d.product ? '<span class="product-dot" title="product">●</span>' : ""}
        <span class="depth">${hops(d.depth)}</span></li>`,
    )
    .join("")}${more}</ul>`;
}

function renderSite() {
  const panel = $("#site-panel");
  if (!S.detail || !S.stress) {
    panel.innerHTML = `<p class="muted">${esc(t("pick_site"))}</p>`;
    return;
  }
  const node = S.detail.node;
  const st = S.stress;
  const tts = num(st.tts);
  const ttr = num(st.ttr);
  const exposed = st.exposed === true;
  const cur = S.net.currency || "";
  let verdict = "";
  if (st.exposed !== null) {
    verdict = exposed
      ? `<div class="verdict bad">${esc(fill(t("exposed_by"), { gap: `${(ttr - tts).toFixed(2)} ${periodLabel()}` }))}</div>`
      : `<div class="verdict ok">${esc(t("covered"))}</div>`;
  }
  panel.innerHTML = `
    <div class="site-title" id="site-name" translate="no">${esc(siteName(node))}</div>
    <div class="site-id"><span translate="no">${esc(node.id)}</span> · <span class="badge kind">${esc(kindLabel(node.kind))}</span>
      <span class="badge cluster">${esc(clusterLabel(node.cluster))}</span></div>
    ${(S.nearby || []).length ? `<div class="nearby small">${esc(t("also_here"))}: ${S.nearby
      .map((n) => `<a data-goto="${esc(n)}" translate="no" title="${esc(n)}">${esc(nameOf(n))}</a>`)
      .join(" · ")}</div>` : ""}
    <div class="stats">
      <div class="stat"><div class="label">${esc(t("ttr"))}</div>
        <div class="value" id="site-ttr" data-value="${dataValue(st.ttr)}">${fmtPeriods(st.ttr)} <span class="unit">${esc(periodLabel())}</span></div></div>
      <div class="stat ${exposed ? "alert" : ""}"><div class="label">${esc(t("tts"))}</div>
        <div class="value" id="site-tts" data-value="${dataValue(st.tts)}">${fmtPeriods(st.tts)} <span class="unit">${tts === Infinity ? "" : esc(periodLabel())}</span></div></div>
      <div class="stat"><div class="label">${esc(t("impact_at_ttr"))}</div>
        <div class="value" id="site-impact" data-value="${dataValue(st.lost_profit)}">${fmtMoney(st.lost_profit)} <span class="unit">${esc(cur)}</span></div></div>
    </div>
    ${verdict}
    ${st.note ? `<p class="muted small">${noteText(st.note)}</p>` : ""}
    <div id="site-explain" class="explain">${explainHtml(S.explain)}</div>
    <div class="deps">
      <h3>${esc(t("downstream"))} · ${S.detail.downstream.length}</h3>${depList(S.detail.downstream)}
      <h3>${esc(t("upstream"))} · ${S.detail.upstream.length}</h3>${depList(S.detail.upstream)}
    </div>`;
}

// ------------------------------------------------------------------ what-if
function renderOutageNodes() {
  const select = $("#outage-node");
  const current = select.value;
  select.innerHTML = [...S.nodes]
    .sort((a, b) => siteName(a).localeCompare(siteName(b), locale()))
    .map((n) => `<option value="${esc(n.id)}" translate="no">${esc(siteName(n))} — ${esc(clusterLabel(n.cluster))}</option>`)
    .join("");
  if (current && S.byId.has(current)) select.value = current;
}

async function loadDistricts() {
  try {
    S.districts = await api(`/api/networks/${enc(S.net.id)}/water-districts`);
  } catch (error) {
    S.districts = null;
  }
  renderDistricts();
}

function renderDistricts() {
  const form = $("#form-water");
  if (S.districts === null) {
    $("#water-district").innerHTML = `<option>${esc(t("unavailable"))}</option>`;
    $("#water-level").innerHTML = "";
    form.querySelector("button[type=submit]").disabled = true;
    return;
  }
  form.querySelector("button[type=submit]").disabled = S.districts.length === 0;
  const current = $("#water-district").value;
  $("#water-district").innerHTML = S.districts
    .map((d) => `<option value="${esc(d.district)}">${esc(clusterLabel(d.district))} — ${esc(d.nodes.map(nameOf).join(", "))}</option>`)
    .join("");
  if (current) $("#water-district").value = current;
  renderLevels();
}

function renderLevels() {
  const district = (S.districts || []).find((d) => d.district === $("#water-district").value);
  const current = $("#water-level").value;
  $("#water-level").innerHTML = (district?.levels || [])
    .map((lv) => `<option value="${esc(lv.level)}" title="${esc(lv.measure)}">${esc(pick(S.labels.water_levels[lv.level], lv.level))} · −${fmtPct(lv.capacity_cut)}</option>`)
    .join("");
  if (current && district?.levels.some((lv) => lv.level === current)) $("#water-level").value = current;
  else if (district?.levels.length) $("#water-level").value = district.levels[district.levels.length - 1].level;
}

async function runWhatIf(body) {
  if (S.busy) return;
  S.busy = true;
  document.querySelectorAll(".whatif-card .tab-panel button[type=submit]").forEach((b) => (b.disabled = true));
  try {
    const result = await runJob("outage", { network: S.net.id, ...body }, $("#whatif-progress"));
    S.lastWhatIf = result;
    result._tables = result._job?.run_id ? await runTables(result._job.run_id) : [];
    renderWhatIf();
    const sites = siteRows(result);
    S.mapValues = Object.fromEntries(sites.filter((s) => s.site).map((s) => [s.site, num(s.capacity_loss) || 0]));
    S.mapTitle = t("hit");
    S.sweepOnMap = false;
    drawMap();
  } catch (error) {
    toast(error.message, true);
  } finally {
    S.busy = false;
    document.querySelectorAll(".whatif-card .tab-panel button[type=submit]").forEach((b) => (b.disabled = false));
    if (S.districts === null) $("#water-run").disabled = true;
  }
}

const siteRows = (r) => (Array.isArray(r.sites) ? r.sites : r.sites?.rows || []);

function renderWhatIf() {
  const r = S.lastWhatIf;
  if (!r) return;
  const cur = S.net.currency || "";
  const window = num(r.window);
  const tts = num(r.tts);
  const sites = siteRows(r);
  // The verdict follows the loss: "demand is lost" only when some is (a TTS below the
  // window with nothing lost means the stock and the other sources cover the gap).
  const loss = num(r.loss);
  const survives = Number.isFinite(loss) ? !(loss > 0) : (r.survives ?? tts >= window);
  const notes = (r.notes || []).map((n) => `<li>${noteText(n)}</li>`).join("");
  $("#whatif-result").innerHTML = `
    <div class="result-grid">
      <div class="stat ${num(r.loss) > 0 ? "alert" : ""}"><div class="label">${esc(t("lost_profit"))}</div>
        <div class="value" id="whatif-lost-profit" data-value="${dataValue(r.loss)}" data-lost-profit="${dataValue(r.lost_profit)}" data-baseline="${dataValue(r.baseline_lost_profit)}">${fmtMoney(r.loss)} <span class="unit">${esc(cur)}</span></div></div>
      <div class="stat"><div class="label">${esc(t("window"))}</div>
        <div class="value" id="whatif-window" data-value="${dataValue(r.window)}">${fmtPeriods(r.window)} <span class="unit">${esc(periodLabel())}</span></div></div>
      <div class="stat ${!survives && tts < window ? "alert" : ""}"><div class="label">${esc(t("tts"))}</div>
        <div class="value" id="whatif-tts" data-value="${dataValue(r.tts)}">${fmtPeriods(r.tts)} <span class="unit">${tts === Infinity ? "" : esc(periodLabel())}</span></div></div>
      <div class="stat"><div class="label">${esc(t("sites_hit"))}</div>
        <div class="value" id="whatif-sites" data-value="${new Set(sites.map((s) => s.site)).size}">${new Set(sites.map((s) => s.site)).size}</div></div>
    </div>
    <div class="verdict ${survives ? "ok" : "bad"}" id="whatif-verdict">${esc(survives ? t("survives") : t("fails"))}${r.name ? ` · <span translate="no">${esc(r.name)}</span>` : ""}</div>
    ${timelineRows(r).length ? '<div id="whatif-recovery" class="recovery-chart"></div>' : ""}
    <div class="table-wrap"><table class="risk-table"><thead><tr><th>${esc(t("site"))}</th><th>${esc(t("cluster"))}</th>
      <th class="num">${esc(t("hit"))}</th><th class="num">${esc(t("recovery"))} (${esc(periodLabel())})</th></tr></thead><tbody>
      ${sites
        .map((s) => `<tr data-node="${esc(s.site)}"><td class="site-name" translate="no" title="${esc(s.reason || s.site)}">${esc(nameOf(s.site))}</td>
          <td>${esc(clusterLabel(s.cluster))}</td><td class="num">${fmtPct(s.capacity_loss)}</td>
          <td class="num">${fmtPeriods(s.recovery_periods)}</td></tr>`)
        .join("")}
    </tbody></table></div>
    ${notes ? `<ul class="notes">${notes}</ul>` : ""}
    ${downloadBar(r._job?.run_id, r._tables || [])}`;
  drawRecovery($("#whatif-recovery"), r);
}

// ------------------------------------------------------------------ language
function renderFooter() {
  if (!S.health) return;
  const m = S.health.modules;
  const mark = (ok) => (ok ? "✓" : "✗");
  $("#footer").innerHTML = `<span translate="no">chipstress ${esc(S.health.version)}</span> · ${esc(t("footer_results"))}: <span translate="no">${esc(S.health.store)}</span> · ${esc(t("footer_hazards"))} ${mark(m.hazards)} · ${esc(t("footer_report"))} ${mark(m.report)} · ${esc(t("footer_basemap"))} ${mark(m.figures)}`;
}

function applyLanguage() {
  document.documentElement.lang = S.lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => (el.textContent = t(el.dataset.i18n)));
  document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => (el.placeholder = t(el.dataset.i18nPlaceholder)));
  document.title = t("page_title");
  document.querySelectorAll(".lang-switch button").forEach((b) => b.classList.toggle("active", b.dataset.lang === S.lang));
  renderFooter();
  renderSummary();
  renderRisks();
  renderSite();
  renderOutageNodes();
  if (S.districts !== undefined) renderDistricts();
  renderWhatIf();
  renderRunForms();
  renderMitigation();
  refreshExplorer();
  if (S.mapTitle) S.mapTitle = S.lastWhatIf && !S.sweepOnMap ? t("hit") : t("exposure");
  $("#toast").hidden = true; // a message in the language before
  // body[data-lang] says the page, map included, is drawn in the new language.
  const lang = S.lang;
  (S.net ? drawMap() : Promise.resolve()).then(() => {
    if (S.lang === lang) document.body.dataset.lang = lang;
  });
}

// ------------------------------------------------------------------ wiring
function bind() {
  $("#network-select").addEventListener("change", (e) => {
    S.net = S.networks.find((n) => n.id === e.target.value);
    loadNetwork().catch((error) => toast(error.message, true));
  });
  bindUpload((id) => loadNetworks(id));
  bindExplorer();
  bindRuns();
  bindDownloads();
  document.querySelectorAll(".lang-switch button").forEach((b) =>
    b.addEventListener("click", () => {
      S.lang = b.dataset.lang;
      localStorage.setItem("chipstress-lang", S.lang);
      applyLanguage();
    }),
  );
  $("#sweep-button").addEventListener("click", runSweep);
  bindMitigation();
  $("#stored-select").addEventListener("change", (e) => loadStoredSweep(e.target.value));
  $("#risk-table").addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-node]");
    if (tr) selectNode(tr.dataset.node);
  });
  $("#whatif-result").addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-node]");
    if (tr && S.byId.has(tr.dataset.node)) selectNode(tr.dataset.node);
  });
  $("#site-panel").addEventListener("click", (e) => {
    const a = e.target.closest("a[data-goto]");
    if (a) selectNode(a.dataset.goto, a.closest(".nearby") ? undefined : []);
  });
  document.querySelectorAll(".whatif-card .tabs button").forEach((b) =>
    b.addEventListener("click", () => {
      document.querySelectorAll(".whatif-card .tabs button").forEach((x) => x.classList.toggle("active", x === b));
      document.querySelectorAll(".whatif-card .tab-panel").forEach((p) => (p.hidden = p.dataset.panel !== b.dataset.tab));
      if (b.dataset.tab !== "quake") setPlacing(false);
      refreshOverlays();
    }),
  );
  $("#outage-fraction").addEventListener("input", (e) => ($("#outage-fraction-out").textContent = fmtPct(e.target.value)));
  $("#quake-magnitude").addEventListener("input", (e) => {
    $("#quake-magnitude-out").textContent = Number(e.target.value).toFixed(1);
    if (S.epicentre) refreshOverlays();
  });
  $("#water-district").addEventListener("change", renderLevels);
  $("#quake-place").addEventListener("click", () => setPlacing(!S.placing));
  for (const id of ["#quake-lat", "#quake-lon"]) {
    $(id).addEventListener("change", () => setEpicentre(Number($("#quake-lat").value), Number($("#quake-lon").value)));
  }
  $("#form-outage").addEventListener("submit", (e) => {
    e.preventDefault();
    runWhatIf({
      name: `${nameOf($("#outage-node").value)} down`,
      outages: [{ node: $("#outage-node").value, fraction: Number($("#outage-fraction").value), duration: Number($("#outage-duration").value) }],
    });
  });
  $("#form-water").addEventListener("submit", (e) => {
    e.preventDefault();
    const district = $("#water-district").value;
    const level = $("#water-level").value;
    runWhatIf({
      name: `${district} ${level} water alert`,
      events: [{ type: "water_restriction", name: `${district} ${level}`, district, level, duration: Number($("#water-duration").value) }],
    });
  });
  $("#form-quake").addEventListener("submit", (e) => {
    e.preventDefault();
    const lat = Number($("#quake-lat").value);
    const lon = Number($("#quake-lon").value);
    const magnitude = Number($("#quake-magnitude").value);
    S.epicentre = { lat, lon };
    refreshOverlays();
    runWhatIf({
      name: `M${magnitude.toFixed(1)} earthquake`,
      events: [{ type: "earthquake", name: `M${magnitude.toFixed(1)} at ${lat}, ${lon}`, epicentre: [lat, lon], magnitude, depth_km: Number($("#quake-depth").value) }],
    });
  });
}

hooks.select = (id, nearby) => selectNode(id, nearby);
explorerHooks.select = (id) => selectNode(id, []);

async function main() {
  const params = new URLSearchParams(location.search);
  if (params.get("token")) {
    sessionStorage.setItem("chipstress-token", params.get("token"));
    params.delete("token");
    history.replaceState(null, "", `${location.pathname}${params.toString() ? `?${params}` : ""}`);
  }
  S.token = sessionStorage.getItem("chipstress-token");
  if (window.Plotly) Plotly.setPlotConfig(PLOTLY_CONFIG);
  S.lang = params.get("lang") || localStorage.getItem("chipstress-lang") || "en";
  bind();
  try {
    S.labels = await api("/api/labels");
    applyLanguage();
    S.health = await api("/api/health");
    renderFooter();
    await loadNetworks();
    document.body.dataset.ready = "1";
  } catch (error) {
    toast(error.message, true);
  }
}

main();
