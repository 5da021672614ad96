// The live /_cluster page: polls GET /_cluster?scope=cluster on the node
// it was loaded from and redraws the tables; rates come from the counters
// of two successive answers. No third-party code, no inline script (the
// page's CSP allows scripts from 'self' only), text set with textContent.
"use strict";

const refreshMillis = 1000;
const previous = new Map(); // node name → its stats at the last answer

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function row(cells) {
  const tr = el("tr");
  for (const c of cells) {
    if (c instanceof Node) tr.append(c);
    else tr.append(el("td", c));
  }
  return tr;
}

function num(text) { return el("td", text, "num"); }

function fixed(x, digits) { return x === null ? "—" : x.toFixed(digits); }

function percent(x) { return x === null ? "—" : (100 * x).toFixed(1) + " %"; }

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n.toString() : n.toFixed(1)) + " " + units[i];
}

function seconds(s) {
  if (s === null) return "—";
  return s < 1 ? (1000 * s).toFixed(0) + " ms" : s.toFixed(2) + " s";
}

function sum(obj, keys) { return keys.reduce((t, k) => t + (obj[k] || 0), 0); }

const local = ["hit", "stale", "miss", "revalidated"];
const cached = ["hit", "stale"];

// figures turns a node's stats (and its previous ones) into what the
// traffic table shows; rates are null until two answers are known.
function figures(stats, prev) {
  const all = Object.keys(stats.requests);
  const f = { requests: null, forwarded: null, transforms: null, hitRatio: null, lag: null };
  const ratio = (hits, served) => (served > 0 ? hits / served : null);
  const lag = (s, n) => (n > 0 ? s / n : null);
  f.hitRatio = ratio(sum(stats.requests, cached), sum(stats.requests, local));
  f.lag = lag(stats.purge_lag_seconds_sum, stats.purges_applied);
  if (prev && stats.at_unix_ms > prev.at_unix_ms) {
    const dt = (stats.at_unix_ms - prev.at_unix_ms) / 1000;
    const d = (k) => (stats.requests[k] || 0) - (prev.requests[k] || 0);
    f.requests = all.reduce((t, k) => t + d(k), 0) / dt;
    f.forwarded = d("peer") / dt;
    f.transforms = (stats.transforms - prev.transforms) / dt;
    const served = local.reduce((t, k) => t + d(k), 0);
    if (served > 0) f.hitRatio = cached.reduce((t, k) => t + d(k), 0) / served;
    const purges = stats.purges_applied - prev.purges_applied;
    if (purges > 0) f.lag = (stats.purge_lag_seconds_sum - prev.purge_lag_seconds_sum) / purges;
  }
  return f;
}

function replaceRows(table, part, rows) {
  table.querySelector(part).replaceChildren(...rows);
}

function render(view) {
  document.getElementById("node").textContent = "— seen from " + view.node;
  const members = document.getElementById("members");
  replaceRows(members, "tbody", view.members.map((m) =>
    row([m.name, m.internal_addr, num(percent(m.share)), num(m.ring_version)])));

  const traffic = [], cache = [];
  let totalRequests = 0, totalTransforms = 0, rated = false;
  for (const n of view.nodes) {
    if (!n.status) {
      traffic.push(row([n.name, el("td", "unreachable: " + n.error, "down")]));
      continue;
    }
    const st = n.status.stats, c = n.status.cache;
    const f = figures(st, previous.get(n.name));
    previous.set(n.name, st);
    if (f.requests !== null) {
      rated = true;
      totalRequests += f.requests;
      totalTransforms += f.transforms;
    }
    traffic.push(row([n.name, num(fixed(f.requests, 1)), num(percent(f.hitRatio)), num(fixed(f.forwarded, 1)),
      num(fixed(f.transforms, 1)), num(String(st.purges_applied)), num(seconds(f.lag))]));
    cache.push(row([n.name, "memory", num(bytes(c.memory_bytes)), num(String(c.memory_entries)), num(String(c.memory_evictions))]));
    cache.push(row(["", "disk", num(bytes(c.disk_bytes)), num(String(c.disk_entries)), num(String(c.disk_evictions))]));
  }
  const table = document.getElementById("traffic");
  replaceRows(table, "tbody", traffic);
  replaceRows(table, "tfoot", [row(["cluster", num(rated ? totalRequests.toFixed(1) : "—"), "", "",
    num(rated ? totalTransforms.toFixed(1) : "—"), "", ""])]);
  replaceRows(document.getElementById("cache"), "tbody", cache);
}

// parseView parses the cluster view, keeping ring versions (64-bit
// hashes, beyond a JavaScript number's 53 bits) as decimal strings.
function parseView(text) {
  return JSON.parse(text.replace(/"ring_version":(\d+)/g, '"ring_version":"$1"'));
}

async function refresh() {
  const state = document.getElementById("state");
  try {
    const resp = await fetch("/_cluster?scope=cluster", { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!resp.ok) throw new Error("HTTP " + resp.status);
    render(parseView(await resp.text()));
    state.textContent = "live, updated " + new Date().toLocaleTimeString();
    state.className = "";
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
  } catch (err) {
    state.textContent = "update failed: " + err.message + " (retrying)";
    state.className = "failed";
  }
  setTimeout(refresh, refreshMillis);
}

refresh();
