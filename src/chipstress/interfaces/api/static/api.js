// Talking to the HTTP API: the token, errors, toasts, and jobs with a progress bar.

import { $, S, enc, sleep, t } from "./state.js";

async function askToken() {
  const dialog = $("#token-dialog");
  $("#token-input").value = "";
  dialog.showModal();
  await new Promise((resolve) => dialog.addEventListener("close", resolve, { once: true }));
  S.token = $("#token-input").value.trim() || null;
  if (S.token) sessionStorage.setItem("chipstress-token", S.token);
}

function describeError(body, status) {
  if (body && typeof body === "object") {
    let msg = typeof body.detail === "string" ? body.detail : body.message || JSON.stringify(body.detail);
    if (Array.isArray(body.problems)) {
      const lines = body.problems.slice(0, 15).map((p) => {
        const where = [p.file, p.location, p.field && `field '${p.field}'`].filter(Boolean).join(", ");
        return `• ${where}: ${p.message}`;
      });
      msg += "\n" + lines.join("\n");
      if (body.problems.length > 15) msg += `\n… ${body.problems.length - 15} more`;
    }
    return msg;
  }
  return typeof body === "string" && body ? body : `HTTP ${status}`;
}

export async function api(path, opts = {}, retried = false) {
  const headers = new Headers(opts.headers || {});
  if (S.token) headers.set("Authorization", `Bearer ${S.token}`);
  const init = { method: opts.method || "GET", headers };
  if (opts.json !== undefined) {
    headers.set("Content-Type", "application/json");
    init.body = JSON.stringify(opts.json);
  } else if (opts.body !== undefined) {
    init.body = opts.body;
  }
  const res = await fetch(path, init);
  if (res.status === 401 && !retried) {
    await askToken();
    return api(path, opts, true);
  }
  const type = res.headers.get("content-type") || "";
  const body = type.includes("json") ? await res.json() : await res.text();
  if (!res.ok) {
    const error = new Error(describeError(body, res.status));
    error.status = res.status;
    throw error;
  }
  return body;
}

export function toast(message, isError = false) {
  const el = $("#toast");
  el.textContent = message;
  el.className = isError ? "toast error" : "toast";
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), isError ? 10000 : 5000);
}

export function showProgress(el, fraction, text) {
  el.hidden = false;
  el.querySelector(".bar").style.width = `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`;
  el.querySelector(".progress-text").textContent = text;
}

export async function runJob(kind, body, progressEl) {
  let job = await api(`/api/jobs/${kind}`, { method: "POST", json: body });
  showProgress(progressEl, 0, t("queued"));
  while (!["succeeded", "failed", "cancelled"].includes(job.status)) {
    await sleep(200);
    job = await api(`/api/jobs/${enc(job.id)}`);
    const pct = Math.round(job.progress * 100);
    showProgress(progressEl, job.progress, `${pct}% · ${job.status === "queued" ? t("queued") : job.message}`);
  }
  if (job.status !== "succeeded") {
    showProgress(progressEl, job.progress, `${t("failed")}: ${job.error || job.status}`);
    throw new Error(job.error || job.status);
  }
  showProgress(progressEl, 1, "100% · ✓");
  progressEl.title = job.run_id || "";
  setTimeout(() => (progressEl.hidden = true), 1500);
  const out = await api(`/api/jobs/${enc(job.id)}/result`);
  return { ...out.result, _job: out.job };
}

