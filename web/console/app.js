// The mosaicod web console (docs/CONSOLE.md): plain ES module, no framework. Pages by URL hash:
//   #/                         catalog (search + cursor paging)
//   #/seq/<name>               sequence: metadata, sessions, topics, timeline, actions
//   #/topic/<seq>/<topic>[?start=<ns>&end=<ns>]  topic: schema tree, column statistics, plot (of that window) or
//                              frame viewer
// Every call goes to the daemon's JSON API (/api/..., src/mosaico/console/console_api.h); the API key, when auth is
// on, is kept in this browser's localStorage and sent in the SDK's header, mosaico-api-key-token.
const $ = (sel, root = document) => root.querySelector(sel);
const main = $("#main");
const KEY = "mosaico.apiKey";
let info = { auth: false, flight_host: "localhost", flight_port: 6726 };

// ------------------------------------------------------------------------------------------------ helpers

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
const enc = encodeURIComponent;
function bytes(n) {
  if (n == null) return "";
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}
function when(ns) { return ns == null ? "" : new Date(Number(BigInt(ns) / 1000000n)).toISOString().replace("T", " ").replace("Z", ""); }
function duration(lo, hi) {
  if (lo == null || hi == null) return "";
  let s = Number(BigInt(hi) - BigInt(lo)) / 1e9;
  if (s < 1) return `${(s * 1000).toFixed(1)} ms`;
  if (s < 120) return `${s.toFixed(2)} s`;
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${m} min` : `${m} min ${Math.round(s % 60)} s`;
}
function toast(text) {
  const t = $("#toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.hidden = true), 2500);
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, { method = "GET", body, raw = false } = {}) {
  const headers = {};
  const key = localStorage.getItem(KEY);
  if (key) headers["mosaico-api-key-token"] = key;
  if (method !== "GET") { headers["X-Mosaico-Console"] = "1"; headers["Content-Type"] = "application/json"; }
  const res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  if (!res.ok) {
    let msg = res.statusText;
    try { msg = (await res.json()).error; } catch { /* not JSON */ }
    throw new ApiError(res.status, msg);
  }
  return raw ? res : res.json();
}

function showError(err) {
  if (err instanceof ApiError && err.status === 401) {
    $("#keyform").hidden = false;
    main.innerHTML = `<h1>API key needed</h1><p class="error" id="auth-error">${esc(err.message)}</p>
      <p>This daemon runs with API keys on. Enter a key (<code>mosaicod api-key create</code>) above.</p>`;
    return;
  }
  main.innerHTML = `<p class="error" id="page-error">${esc(err.message)}</p>`;
}

function crumbs(parts) {
  $("#crumbs").innerHTML = parts.map(([label, href]) => (href ? `<a href="${href}">${esc(label)}</a>` : `<span>${esc(label)}</span>`)).join("/ ");
}

function snippet({ sequence, topic, start, end }) {
  const key = info.auth ? `, api_key="<your key>"` : "";
  const tls = info.tls ? ", enable_tls=True" : "";
  const lines = ["from mosaicolabs import MosaicoClient", "",
    `with MosaicoClient.connect("${info.flight_host}", ${info.flight_port}${tls}${key}) as client:`];
  if (!topic) {
    lines.push(`    seq = client.sequence_handler(${JSON.stringify(sequence)})`,
      "    for topic, msg in seq.get_data_streamer():", "        print(topic, msg)");
  } else {
    lines.push(`    topic = client.topic_handler(${JSON.stringify(sequence)}, ${JSON.stringify("/" + topic)})`);
    const win = start != null ? `start_timestamp_ns=${start}, end_timestamp_ns=${end}` : "";
    lines.push(`    for msg in topic.get_data_streamer(${win}):`, "        print(msg)");
  }
  return lines.join("\n");
}
async function copySnippet(text) {
  try { await navigator.clipboard.writeText(text); toast("Python snippet copied"); }
  catch { toast("Copy failed: select the snippet text"); }
}

// ------------------------------------------------------------------------------------------------ catalog

async function catalogPage(params) {
  crumbs([["catalog"]]);
  const q = new URLSearchParams(params);
  main.innerHTML = `<h1>Sequences</h1>
    <form class="search" id="search">
      <input name="name" placeholder="name glob, e.g. run_*" value="${esc(q.get("name") || "")}">
      <input name="metadata" size="40" placeholder='metadata, e.g. {"robot": {"$eq": "r1"}}' value="${esc(q.get("metadata") || "")}">
      <input name="tag" placeholder="ontology tag, e.g. imu" value="${esc(q.get("tag") || "")}">
      <button type="submit">Search</button>
    </form>
    <table id="sequences"><thead><tr><th>name</th><th>created</th><th>duration</th><th>topics</th><th>rows</th>
      <th>size</th><th>state</th><th>notifications</th></tr></thead><tbody></tbody></table>
    <div class="toolbar"><button id="more" hidden>Next page</button><span id="count" class="muted"></span></div>`;
  $("#search").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const p = new URLSearchParams();
    for (const [k, v] of f) if (v) p.set(k, v);
    location.hash = `#/?${p}`;
  });
  let shown = 0;
  const load = async (after) => {
    const p = new URLSearchParams(q);
    if (after) p.set("after", after);
    p.set("limit", "50");
    const page = await api(`/api/sequences?${p}`);
    const body = $("#sequences tbody");
    for (const s of page.items) {
      const tr = document.createElement("tr");
      tr.className = "link";
      tr.dataset.name = s.name;
      tr.innerHTML = `<td><a href="#/seq/${enc(s.name)}">${esc(s.name)}</a></td><td>${when(s.created_at_ns)}</td>
        <td>${duration(s.ts_min, s.ts_max)}</td><td class="num">${s.topics}</td><td class="num">${s.rows}</td>
        <td class="num">${bytes(s.bytes)}</td><td><span class="badge ${s.state}">${s.state}</span></td>
        <td>${s.notifications ? `<span class="badge notes">${s.notifications}</span>` : ""}</td>`;
      tr.addEventListener("click", () => (location.hash = `#/seq/${enc(s.name)}`));
      body.appendChild(tr);
    }
    shown += page.items.length;
    $("#count").textContent = `${shown} shown`;
    const more = $("#more");
    more.hidden = !page.next;
    more.onclick = () => load(page.next).catch(showError);
    window.__console = { page: "catalog", shown, next: page.next };
  };
  await load("");
}

// ------------------------------------------------------------------------------------------------ sequence

function drawTimeline(canvas, seq) {
  const tl = seq.timeline;
  const lanes = tl.lanes || [];
  const lane = 22, label = 180, dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 900, height = Math.max(1, lanes.length) * lane + 20;
  canvas.width = width * dpr;
  canvas.height = height * dpr;
  canvas.style.height = `${height}px`;
  const g = canvas.getContext("2d");
  g.scale(dpr, dpr);
  g.fillStyle = "#fff";
  g.fillRect(0, 0, width, height);
  g.font = "12px system-ui";
  const plotW = width - label - 8;
  lanes.forEach((l, i) => {
    const y = i * lane;
    g.fillStyle = "#1d2330";
    g.fillText(l.topic, 4, y + 15);
    g.fillStyle = "#eef1f6";
    g.fillRect(label, y + 3, plotW, lane - 6);
    const peak = Math.max(1, ...l.density.map((d) => d[1]));
    for (const [col, rows] of l.density) {
      const x0 = label + (col / tl.columns) * plotW;
      const alpha = 0.25 + 0.75 * (rows / peak);
      g.fillStyle = `rgba(47,111,223,${alpha})`;
      g.fillRect(x0, y + 3, Math.max(1, plotW / tl.columns), lane - 6);
    }
  });
  g.fillStyle = "#6b7385";
  if (tl.start_ns != null) {
    g.fillText(when(tl.start_ns), label, height - 4);
    const end = when(tl.end_ns);
    g.fillText(end, width - g.measureText(end).width - 4, height - 4);
  }
}

async function sequencePage(name) {
  crumbs([["catalog", "#/"], [name]]);
  const s = await api(`/api/sequence?name=${enc(name)}`);
  main.innerHTML = `<h1>${esc(s.name)} <span class="badge ${s.state}">${s.state}</span></h1>
    <div class="grid">
      <div class="card"><b>created</b>${when(s.created_at_ns)}</div>
      <div class="card"><b>time range</b>${when(s.ts_min)} → ${when(s.ts_max)}</div>
      <div class="card"><b>duration</b>${duration(s.ts_min, s.ts_max)}</div>
      <div class="card"><b>topics / rows</b>${s.topics} / ${s.rows}</div>
      <div class="card"><b>size</b>${bytes(s.bytes)}</div>
    </div>
    <h2>Metadata</h2><pre id="metadata">${esc(JSON.stringify(s.user_metadata, null, 2))}</pre>
    <h2>Timeline</h2><canvas id="timeline"></canvas>
    <h2>Topics</h2>
    <table id="topics"><thead><tr><th>topic</th><th>ontology tag</th><th>rows</th><th>size</th><th>chunks</th>
      <th>from</th><th>duration</th></tr></thead><tbody>${s.topics_list.map((t) => `<tr class="link" data-topic="${esc(t.name)}">
      <td><a href="#/topic/${enc(s.name)}/${enc(t.name)}">/${esc(t.name)}</a></td><td>${esc(t.ontology_tag)}</td>
      <td class="num">${t.rows}</td><td class="num">${bytes(t.bytes)}</td><td class="num">${t.chunks}</td>
      <td>${when(t.ts_min)}</td><td>${duration(t.ts_min, t.ts_max)}</td></tr>`).join("")}</tbody></table>
    <h2>Sessions</h2>
    <table id="sessions"><thead><tr><th>session</th><th>created</th><th>completed</th><th>state</th><th></th></tr></thead>
      <tbody>${s.sessions_list.map((x) => `<tr><td>${esc(x.key)}</td><td>${when(x.created_at_ns)}</td>
      <td>${when(x.completed_at_ns)}</td><td>${x.locked ? "locked" : "open"}</td>
      <td><button class="danger del-session" data-locator="${esc(x.locator)}">Delete session</button></td></tr>`).join("")}</tbody></table>
    <h2>Notifications</h2>
    <table id="notifications"><tbody>${s.notifications_list.map((n) => `<tr><td>${when(n.created_at_ns)}</td>
      <td>${esc(n.type)}</td><td>${esc(n.msg)}</td></tr>`).join("") || `<tr><td class="muted">none</td></tr>`}</tbody></table>
    <h2>Actions</h2>
    <pre id="snippet">${esc(snippet({ sequence: s.name }))}</pre>
    <div class="toolbar">
      <button id="copy">Copy Python snippet</button>
      <button id="purge">Purge notifications</button>
      <button id="delete" class="danger">Delete sequence</button>
    </div>`;
  for (const tr of main.querySelectorAll("#topics tr.link")) {
    tr.addEventListener("click", () => (location.hash = `#/topic/${enc(s.name)}/${enc(tr.dataset.topic)}`));
  }
  drawTimeline($("#timeline"), s);
  $("#copy").onclick = () => copySnippet(snippet({ sequence: s.name }));
  $("#purge").onclick = async () => {
    if (!confirm(`Purge the notifications of ${s.name}?`)) return;
    try { await api("/api/purge_notifications", { method: "POST", body: { sequence: s.name } }); toast("purged"); await route(); }
    catch (e) { toast(e.message); }
  };
  $("#delete").onclick = async () => {
    if (!confirm(`Delete sequence ${s.name} and all its data? This cannot be undone.`)) return;
    try { await api("/api/delete_sequence", { method: "POST", body: { name: s.name } }); toast("deleted"); location.hash = "#/"; }
    catch (e) { toast(e.message); }
  };
  for (const b of main.querySelectorAll(".del-session")) {
    b.onclick = async () => {
      if (!confirm(`Delete session ${b.dataset.locator} and its topics?`)) return;
      try { await api("/api/delete_session", { method: "POST", body: { locator: b.dataset.locator } }); toast("deleted"); route(); }
      catch (e) { toast(e.message); }
    };
  }
  window.__console = { page: "sequence", sequence: s };
}

// ------------------------------------------------------------------------------------------------ topic

function numericLeaves(nodes, prefix = "", out = []) {
  for (const n of nodes) {
    const path = prefix ? `${prefix}.${n.name}` : n.name;
    if (n.children) {
      if (n.type === "struct") numericLeaves(n.children, path, out);
    } else if (/^(u?int\d+|int\d+|halffloat|float|double|bool)$/.test(n.type) && path !== "timestamp_ns") {
      out.push(path);
    }
  }
  return out;
}

function tree(nodes) {
  return `<ul class="tree">${nodes.map((n) => `<li>${esc(n.name)}<span class="t">${esc(n.type)}${n.nullable ? "" : " not null"}</span>
    ${n.children ? tree(n.children) : ""}</li>`).join("")}</ul>`;
}

async function topicPage(seqName, topicName, params = new URLSearchParams()) {
  crumbs([["catalog", "#/"], [seqName, `#/seq/${enc(seqName)}`], [`/${topicName}`]]);
  const t = await api(`/api/topic?sequence=${enc(seqName)}&topic=${enc(topicName)}`);
  main.innerHTML = `<h1>/${esc(t.name)} <span class="badge">${esc(t.ontology_tag)}</span></h1>
    <div class="grid">
      <div class="card"><b>rows</b>${t.rows}</div><div class="card"><b>size</b>${bytes(t.bytes)}</div>
      <div class="card"><b>chunks</b>${t.chunks}</div><div class="card"><b>from</b>${when(t.ts_min)}</div>
      <div class="card"><b>duration</b>${duration(t.ts_min, t.ts_max)}</div>
      <div class="card"><b>format</b>${esc(t.serialization_format)}</div>
    </div>
    <div id="view"></div>
    <h2>Actions</h2><pre id="snippet"></pre>
    <div class="toolbar"><button id="copy">Copy Python snippet</button><button id="purge">Purge topic notifications</button></div>
    <h2>Schema</h2><div id="schema">${tree(t.schema)}</div>
    <h2>Column statistics</h2>
    <table id="stats"><thead><tr><th>column</th><th>kind</th><th>min</th><th>max</th><th>nulls</th></tr></thead>
      <tbody>${t.column_stats.map((c) => `<tr><td>${esc(c.column)}</td><td>${esc(c.kind)}</td><td class="num">${esc(c.min)}</td>
      <td class="num">${esc(c.max)}</td><td class="num">${c.null_count}</td></tr>`).join("")}</tbody></table>
    <h2>Notifications</h2>
    <table id="notifications"><tbody>${t.notifications_list.map((n) => `<tr><td>${when(n.created_at_ns)}</td>
      <td>${esc(n.type)}</td><td>${esc(n.msg)}</td></tr>`).join("") || `<tr><td class="muted">none</td></tr>`}</tbody></table>`;
  const win = { sequence: seqName, topic: t.name, start: null, end: null };
  const showSnippet = () => ($("#snippet").textContent = snippet(win));
  showSnippet();
  $("#copy").onclick = () => copySnippet(snippet(win));
  $("#purge").onclick = async () => {
    if (!confirm(`Purge the notifications of /${t.name}?`)) return;
    try { await api("/api/purge_notifications", { method: "POST", body: { sequence: seqName, topic: t.name } }); toast("purged"); route(); }
    catch (e) { toast(e.message); }
  };
  window.__console = { page: "topic", topic: t };
  if (t.ts_min == null) { $("#view").innerHTML = `<p class="muted">no data</p>`; return; }
  if (t.kind === "image" || t.kind === "compressed_image") await frameView(t, win, showSnippet);
  else await plotView(t, win, showSnippet, params);
}

// The plot: min/max per pixel column from /api/series, one band per field; drag to zoom, buttons to pan.
async function plotView(t, win, showSnippet, params) {
  const fields = numericLeaves(t.schema);
  const view = $("#view");
  if (!fields.length) { view.innerHTML = `<p class="muted">no numeric field to plot</p>`; return; }
  // Default: the first three measurement leaves (header stamps and covariance flags come last).
  const plain = fields.filter((f) => !/(^|\.)(header|covariance_type|covariance)(\.|$)/.test(f));
  const chosen = new Set((plain.length ? plain : fields).slice(0, 3));
  view.innerHTML = `<h2>Plot</h2>
    <div class="fields">${fields.map((f) => `<label><input type="checkbox" value="${esc(f)}" ${chosen.has(f) ? "checked" : ""}> ${esc(f)}</label>`).join("")}</div>
    <div class="toolbar"><button id="pan-left">◀ pan</button><button id="zoom-out">zoom out</button>
      <button id="pan-right">pan ▶</button><button id="reset">whole topic</button>
      <span id="plot-info" class="muted"></span></div>
    <div id="plot"></div><div id="ranges" class="muted"></div>`;
  // JSON numbers hold ~16 digits: pad the window by 1 us so rounding of ns times never cuts off the first/last row.
  const full = [BigInt(t.ts_min) - 1000n, BigInt(t.ts_max) + 1000n];
  // #/topic/<seq>/<topic>?start=<ns>&end=<ns> opens on that window (a link to a moment).
  let range = [...full];
  if (/^\d+$/.test(params.get("start") || "") && /^\d+$/.test(params.get("end") || "")) {
    range = [BigInt(params.get("start")), BigInt(params.get("end"))];
  }
  let plot = null;
  const colors = ["#2f6fdf", "#d35400", "#27ae60", "#8e44ad", "#c0392b", "#16a085"];

  const load = async () => {
    const names = [...chosen];
    if (!names.length) return;
    const width = Math.max(100, Math.min(4000, Math.round($("#plot").clientWidth || 1000)));
    const t0 = performance.now();
    const data = await api(`/api/series?sequence=${enc(t.sequence)}&topic=${enc(t.name)}&fields=${enc(names.join(","))}` +
      `&start=${range[0]}&end=${range[1]}&width=${width}`);
    const half = data.source === "points" ? 0 : data.bucket_ns / 2;
    const xsSet = new Map();
    for (const f of data.fields) for (const ts of f.ts) xsSet.set(ts, true);
    const xsNs = [...xsSet.keys()].sort((a, b) => a - b);
    const index = new Map(xsNs.map((x, i) => [x, i]));
    const base = Number(range[0] / 1000000n) / 1000;  // seconds of the window start; x values are offsets from it
    const xs = xsNs.map((x) => base + (x - Number(range[0]) + half) / 1e9);
    const series = [{}];
    const cols = [xs];
    const bands = [];
    data.fields.forEach((f, i) => {
      const lo = new Array(xs.length).fill(null), hi = new Array(xs.length).fill(null);
      f.ts.forEach((ts, k) => { lo[index.get(ts)] = f.min[k]; hi[index.get(ts)] = f.max[k]; });
      const c = colors[i % colors.length];
      series.push({ label: `${f.field} max`, stroke: c, width: 1, spanGaps: false },
        { label: `${f.field} min`, stroke: c, width: 1, spanGaps: false });
      cols.push(hi, lo);
      bands.push({ series: [series.length - 2, series.length - 1], fill: c + "33" });
    });
    const opts = {
      width: $("#plot").clientWidth || 1000, height: 320, series, bands,
      scales: { x: { time: true } }, cursor: { drag: { x: true, y: false } },
      hooks: { setSelect: [(u) => {
        if (u.select.width < 3) return;
        const a = u.posToVal(u.select.left, "x"), b = u.posToVal(u.select.left + u.select.width, "x");
        const toNs = (s) => range[0] + BigInt(Math.round((s - base) * 1e9));
        const lo = toNs(a), hi = toNs(b);
        if (hi > lo) { range = [lo, hi]; load().catch(showError); }
      }] },
    };
    if (plot) plot.destroy();
    $("#plot").innerHTML = "";
    plot = new uPlot(opts, cols, $("#plot"));
    const ms = (performance.now() - t0).toFixed(0);
    $("#plot-info").textContent = `${data.source === "stats" ? "row-group statistics" : data.source === "raw" ? "rows, min/max per pixel" : "every row"}` +
      ` · ~${data.rows_estimate} rows · ${data.row_groups} row groups · ${ms} ms`;
    $("#ranges").innerHTML = data.fields.map((f) => {
      if (!f.min.length) return `<span class="field-range" data-field="${esc(f.field)}">${esc(f.field)}: no values</span>`;
      const mn = f.min.reduce((a, b) => Math.min(a, b)), mx = f.max.reduce((a, b) => Math.max(a, b));
      return `<span class="field-range" data-field="${esc(f.field)}" data-min="${mn}" data-max="${mx}">${esc(f.field)}: min ${mn} · max ${mx}</span>`;
    }).join(" &nbsp; ");
    win.start = range[0].toString();
    win.end = range[1].toString();
    showSnippet();
    window.__console = { ...window.__console, series: data, plot, plotMs: Number(ms), plotted: true, plottedAt: performance.now() };
    document.body.dataset.plotted = String(Date.now());
  };
  const shift = (frac) => {
    const span = range[1] - range[0];
    const d = BigInt(Math.round(Number(span) * frac));
    range = [range[0] + d, range[1] + d];
    load().catch(showError);
  };
  $("#pan-left").onclick = () => shift(-0.5);
  $("#pan-right").onclick = () => shift(0.5);
  $("#zoom-out").onclick = () => {
    const span = range[1] - range[0];
    range = [range[0] - span / 2n, range[1] + span / 2n];
    if (range[0] < full[0]) range[0] = full[0];
    if (range[1] > full[1]) range[1] = full[1];
    load().catch(showError);
  };
  $("#reset").onclick = () => { range = [...full]; load().catch(showError); };
  for (const box of view.querySelectorAll(".fields input")) {
    box.onchange = () => { box.checked ? chosen.add(box.value) : chosen.delete(box.value); load().catch(showError); };
  }
  await load();
}

// Raw pixels (Image, format raw, or PNG holding the raw bytes as a height x stride grey image) -> RGBA.
function rawToRgba(buf, m) {
  const { width: w, height: h } = m;
  const stride = m.stride || w;
  const out = new Uint8ClampedArray(w * h * 4);
  const enc = (m.encoding || "mono8").toLowerCase();
  const be = !!m.is_bigendian;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 4;
      let r, g, b, a = 255;
      if (enc === "rgb8" || enc === "8uc3") { const p = y * stride + x * 3; r = buf[p]; g = buf[p + 1]; b = buf[p + 2]; }
      else if (enc === "bgr8") { const p = y * stride + x * 3; b = buf[p]; g = buf[p + 1]; r = buf[p + 2]; }
      else if (enc === "rgba8" || enc === "8uc4") { const p = y * stride + x * 4; r = buf[p]; g = buf[p + 1]; b = buf[p + 2]; a = buf[p + 3]; }
      else if (enc === "bgra8") { const p = y * stride + x * 4; b = buf[p]; g = buf[p + 1]; r = buf[p + 2]; a = buf[p + 3]; }
      else if (enc === "mono16" || enc === "16uc1") { const p = y * stride + x * 2; r = g = b = be ? buf[p] : buf[p + 1]; }
      else { const p = y * stride + x; r = g = b = buf[p]; }
      out[o] = r; out[o + 1] = g; out[o + 2] = b; out[o + 3] = a;
    }
  }
  return new ImageData(out, w, h);
}

async function drawFrame(canvas, res) {
  const m = JSON.parse(res.headers.get("X-Mosaico-Frame"));
  const blob = await res.blob();
  const fmt = (m.format || "").toLowerCase();
  const g = canvas.getContext("2d", { willReadFrequently: true });
  if (m.width != null && m.height != null && (fmt === "raw" || fmt === "png")) {
    let buf;
    if (fmt === "raw") {
      buf = new Uint8Array(await blob.arrayBuffer());
    } else {
      // The SDK's Image stores PNG as the raw bytes in a (height x stride) grey image: decode, read the bytes back.
      const bmp = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
      const tmp = new OffscreenCanvas(bmp.width, bmp.height);
      const tg = tmp.getContext("2d");
      tg.drawImage(bmp, 0, 0);
      const px = tg.getImageData(0, 0, bmp.width, bmp.height).data;
      buf = new Uint8Array(bmp.width * bmp.height);
      for (let i = 0; i < buf.length; i++) buf[i] = px[i * 4];
    }
    canvas.width = m.width;
    canvas.height = m.height;
    g.putImageData(rawToRgba(buf, m), 0, 0);
  } else {
    const bmp = await createImageBitmap(blob);
    canvas.width = bmp.width;
    canvas.height = bmp.height;
    g.drawImage(bmp, 0, 0);
  }
  return m;
}

async function frameView(t, win, showSnippet) {
  const view = $("#view");
  view.innerHTML = `<h2>Frame</h2>
    <div class="toolbar"><button id="prev">◀ prev</button><button id="next">next ▶</button>
      <input id="when" type="range" min="0" max="1000" value="0" style="width:400px">
      <span id="frame-info" class="muted"></span></div>
    <canvas id="frame" width="320" height="240"></canvas>`;
  const lo = BigInt(t.ts_min), hi = BigInt(t.ts_max);
  let current = lo;
  const show = async (ts, dir) => {
    const res = await api(`/api/frame?sequence=${enc(t.sequence)}&topic=${enc(t.name)}&t=${ts}&dir=${dir}`, { raw: true });
    const m = await drawFrame($("#frame"), res);
    current = BigInt(m.timestamp_ns);
    $("#frame-info").textContent = `${when(m.timestamp_ns)} · ${m.format}${m.encoding ? " " + m.encoding : ""}` +
      `${m.width ? ` · ${m.width}×${m.height}` : ""} · ${bytes(m.bytes)}`;
    if (hi > lo) $("#when").value = String(Number(((current - lo) * 1000n) / (hi - lo)));
    win.start = current.toString();
    win.end = (current + 1n).toString();
    showSnippet();
    window.__console = { ...window.__console, frame: m, framed: true };
    document.body.dataset.framed = m.timestamp_ns;
  };
  const guard = (p) => p.catch((e) => ($("#frame-info").textContent = e.message));
  $("#prev").onclick = () => guard(show(current, "prev"));
  $("#next").onclick = () => guard(show(current + 1n, "next"));
  $("#when").onchange = (e) => guard(show(lo + ((hi - lo) * BigInt(e.target.value)) / 1000n, "nearest"));
  await show(lo, "nearest");
}

// ------------------------------------------------------------------------------------------------ router

async function route() {
  const hash = location.hash || "#/";
  const [path, query] = hash.slice(1).split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === "seq" && parts[1]) await sequencePage(parts[1]);
    else if (parts[0] === "topic" && parts[1] && parts[2]) await topicPage(parts[1], parts.slice(2).join("/"), new URLSearchParams(query || ""));
    else await catalogPage(query || "");
    document.body.dataset.ready = hash;
  } catch (err) {
    showError(err);
    document.body.dataset.ready = hash;
  }
}

$("#keyform").addEventListener("submit", (e) => {
  e.preventDefault();
  const v = $("#apikey").value.trim();
  if (v) localStorage.setItem(KEY, v); else localStorage.removeItem(KEY);
  route();
});

(async () => {
  try { info = await api("/api/info"); } catch { /* keep the defaults */ }
  if (info.auth) $("#keyform").hidden = false;
  window.addEventListener("hashchange", route);
  route();
})();
