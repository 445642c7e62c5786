// Uploading a network: .json, .yaml, .zip as they are; a spreadsheet (.xlsx, .csv) after a
// dialog that shows, for each sheet, the table it seems to hold and the schema column each
// header seems to name (POST /api/import/suggest), which the analyst may change. The
// headers of an .xlsx are read here from its XML (a zip), with no library.

import { api, toast } from "./api.js";
import { $, esc, fill, t } from "./state.js";

// ---------------------------------------------------------------- a minimal .xlsx reader
async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// The files of a zip archive, by name (read from its central directory).
async function unzip(buffer, wanted) {
  const view = new DataView(buffer);
  let end = -1;
  for (let i = buffer.byteLength - 22; i >= Math.max(0, buffer.byteLength - 65557); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error("not a zip archive");
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const out = new Map();
  const decoder = new TextDecoder();
  for (let k = 0; k < count; k++) {
    if (view.getUint32(at, true) !== 0x02014b50) break;
    const method = view.getUint16(at + 10, true);
    const size = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extra = view.getUint16(at + 30, true);
    const comment = view.getUint16(at + 32, true);
    const local = view.getUint32(at + 42, true);
    const name = decoder.decode(new Uint8Array(buffer, at + 46, nameLength));
    at += 46 + nameLength + extra + comment;
    if (!wanted(name) || size > 50e6) continue;
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = new Uint8Array(buffer, start, size);
    out.set(name, decoder.decode(method === 8 ? await inflate(raw) : raw));
  }
  return out;
}

const xml = (text) => new DOMParser().parseFromString(text, "application/xml");
const byTag = (doc, tag) => [...doc.getElementsByTagNameNS("*", tag)];

// Sheet name -> its header row (the first non-empty row), in the workbook's order.
export async function xlsxHeaders(buffer) {
  const files = await unzip(buffer, (n) => /^xl\/(workbook\.xml|_rels\/workbook\.xml\.rels|sharedStrings\.xml|worksheets\/[^/]+\.xml)$/.test(n));
  const shared = files.has("xl/sharedStrings.xml")
    ? byTag(xml(files.get("xl/sharedStrings.xml")), "si").map((si) => byTag(si, "t").map((x) => x.textContent).join(""))
    : [];
  const rels = new Map(byTag(xml(files.get("xl/_rels/workbook.xml.rels") || "<r/>"), "Relationship").map((r) => [r.getAttribute("Id"), r.getAttribute("Target")]));
  const out = [];
  for (const sheet of byTag(xml(files.get("xl/workbook.xml") || "<w/>"), "sheet")) {
    const rid = [...sheet.attributes].find((a) => a.localName === "id")?.value;
    const target = (rels.get(rid) || "").replace(/^\/?(xl\/)?/, "xl/");
    const doc = files.has(target) ? xml(files.get(target)) : null;
    if (!doc) continue;
    const row = byTag(doc, "row").find((r) => byTag(r, "c").some((c) => c.textContent.trim() !== ""));
    const headers = row
      ? byTag(row, "c").map((c) => {
          const v = byTag(c, "v")[0]?.textContent ?? byTag(c, "t").map((x) => x.textContent).join("");
          return c.getAttribute("t") === "s" ? shared[Number(v)] ?? "" : v;
        })
      : [];
    out.push({ sheet: sheet.getAttribute("name"), headers: headers.map((h) => String(h).trim()).filter(Boolean) });
  }
  return out;
}

function csvHeaders(text, name) {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== "") || "";
  const cells = [];
  let cell = "";
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === "," && !quoted) {
      cells.push(cell);
      cell = "";
    } else cell += ch;
  }
  cells.push(cell);
  return [{ sheet: name.replace(/\.csv$/i, ""), headers: cells.map((c) => c.trim()).filter(Boolean) }];
}

// ---------------------------------------------------------------- the dialog
const TABLES = ["nodes", "bom", "sources", "flat", "network", "materials", "ignore"];
const DATA_TABLES = ["nodes", "bom", "sources", "flat"];
// Sheets of the template that hold no table of rows: the network's settings, the
// materials, the instructions.
const OTHER_SHEETS = { network: "network", meta: "network", materials: "materials", readme: "ignore" };

async function suggestions(sheets) {
  return Promise.all(
    sheets.map(async (s) => {
      const role = OTHER_SHEETS[s.sheet.trim().toLowerCase()];
      if (role || !s.headers.length) return { ...s, table: role || "ignore", mapping: {}, scores: {}, alternatives: {} };
      const out = await api("/api/import/suggest", { method: "POST", json: { headers: s.headers, sheet: s.sheet } });
      return { ...s, ...out };
    }),
  );
}

function columnChoices(s, header) {
  const options = new Set([...(s.alternatives?.[header] || []), s.mapping?.[header]].filter(Boolean));
  const chosen = s.mapping?.[header] || "";
  return `<select data-sheet="${esc(s.sheet)}" data-header="${esc(header)}">
    <option value="">${esc(t("ignore_column"))}</option>
    ${[...options].map((c) => `<option value="${esc(c)}" ${c === chosen ? "selected" : ""} translate="no">${esc(c)}</option>`).join("")}
  </select>`;
}

function renderDialog(sheets) {
  $("#mapping-note").textContent = t("mapping_note");
  $("#mapping-table").innerHTML = sheets
    .map(
      (s) => `<tbody data-sheet="${esc(s.sheet)}"><tr class="sheet-row"><th translate="no">${esc(s.sheet)}</th><th>
        <select data-sheet-table="${esc(s.sheet)}">${TABLES.map((tb) => `<option value="${tb}" ${tb === s.table ? "selected" : ""}>${esc(t(`table_${tb}`))}</option>`).join("")}</select></th><th></th></tr>
        ${(DATA_TABLES.includes(s.table) ? s.headers : [])
          .map((h) => `<tr><td translate="no">${esc(h)}</td><td>${columnChoices(s, h)}</td><td class="num small muted">${Number.isFinite(s.scores?.[h]) ? `${Math.round(s.scores[h] * 100)}%` : ""}</td></tr>`)
          .join("")}
        ${s.missing?.length ? `<tr><td colspan="3" class="small bad-text">${esc(t("missing_columns"))}: <span translate="no">${esc(s.missing.join(", "))}</span></td></tr>` : ""}</tbody>`,
    )
    .join("");
}

// The mapping the dialog shows, as a mapping file's content (sheets and columns).
export function chosenMapping() {
  const sheets = {};
  const columns = {};
  document.querySelectorAll("#mapping-table select[data-sheet-table]").forEach((el) => (sheets[el.dataset.sheetTable] = el.value));
  document.querySelectorAll("#mapping-table select[data-header]").forEach((el) => {
    if (!DATA_TABLES.includes(sheets[el.dataset.sheet])) return;
    columns[el.dataset.sheet] = columns[el.dataset.sheet] || {};
    columns[el.dataset.sheet][el.dataset.header] = el.value || null;
  });
  return { sheets, columns };
}

async function askMapping(file) {
  const sheets = /\.csv$/i.test(file.name) ? csvHeaders(await file.text(), file.name) : await xlsxHeaders(await file.arrayBuffer());
  renderDialog(await suggestions(sheets));
  const dialog = $("#mapping-dialog");
  dialog.returnValue = "";
  dialog.showModal();
  await new Promise((resolve) => dialog.addEventListener("close", resolve, { once: true }));
  return dialog.returnValue === "ok" ? chosenMapping() : null;
}

async function upload(file, loaded) {
  const form = new FormData();
  form.append("file", file, file.name);
  try {
    if (/\.(xlsx|csv)$/i.test(file.name)) {
      let mapping = null;
      try {
        mapping = await askMapping(file);
        if (mapping === null) return;
      } catch (error) {
        if (error.status !== 404) throw error; // no suggestion service: the server maps alone
      }
      if (mapping) form.append("mapping", JSON.stringify(mapping));
    }
    const net = await api("/api/networks", { method: "POST", body: form });
    const counts = { name: net.name, nodes: net.nodes, products: net.products, materials: net.materials, edges: net.source_edges };
    toast(`${t("uploaded")}: ${fill(t("upload_summary"), counts)}`);
    await loaded(net.id);
  } catch (error) {
    toast(error.message, true);
  }
}

export function bindUpload(loaded) {
  $("#upload-button").addEventListener("click", () => $("#upload-input").click());
  $("#upload-input").addEventListener("change", (e) => {
    if (e.target.files[0]) upload(e.target.files[0], loaded);
    e.target.value = "";
  });
}
