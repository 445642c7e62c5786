// Taking a stored run away: its tables as CSV or Excel (one table, or the whole run as one
// workbook) and its HTML report. Files are fetched with the API's token (links cannot send
// the Authorization header) and saved from a blob.

import { api, toast } from "./api.js";
import { S, enc, esc, t } from "./state.js";

// The download bar of a run: Excel of every table, CSV and Excel of each, the HTML report.
export function downloadBar(runId, tables = []) {
  if (!runId) return "";
  const id = enc(runId);
  const perTable = tables
    .map(
      (name) => `<span class="dl-table"><span translate="no">${esc(name)}</span>
        <a class="dl" data-download="/api/runs/${id}/tables/${enc(name)}.csv" data-file="${esc(runId)}-${esc(name)}.csv" href="#">CSV</a>
        <a class="dl" data-download="/api/runs/${id}/tables/${enc(name)}.xlsx" data-file="${esc(runId)}-${esc(name)}.xlsx" href="#">Excel</a></span>`,
    )
    .join("");
  return `<div class="downloads" data-run="${esc(runId)}">
    <span class="muted small">${esc(t("take_away"))}</span>
    <a class="dl primary-dl" data-download="/api/runs/${id}/tables.xlsx" data-file="${esc(runId)}.xlsx" href="#">${esc(t("download_excel"))}</a>
    <a class="dl" data-download="/api/runs/${id}/report" data-file="${esc(runId)}-report.html" href="#">${esc(t("html_report"))}</a>
    <button type="button" class="ghost dl-print">${esc(t("print"))}</button>
    ${perTable ? `<details class="small"><summary>${esc(t("each_table"))}</summary>${perTable}</details>` : ""}
  </div>`;
}

// Table names of a stored run (for the per-table links).
export async function runTables(runId) {
  try {
    return (await api(`/api/runs/${enc(runId)}`)).tables || [];
  } catch (error) {
    return [];
  }
}

async function save(path, filename) {
  const headers = S.token ? { Authorization: `Bearer ${S.token}` } : {};
  const res = await fetch(path, { headers });
  if (!res.ok) {
    let detail = `HTTP ${res.status}`;
    try {
      detail = (await res.json()).detail || detail;
    } catch (error) {
      /* not JSON */
    }
    throw new Error(detail);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function bindDownloads() {
  document.addEventListener("click", (e) => {
    const link = e.target.closest("a[data-download]");
    if (link) {
      e.preventDefault();
      save(link.dataset.download, link.dataset.file).catch((error) => toast(error.message, true));
      return;
    }
    if (e.target.closest(".dl-print")) window.print();
  });
}
