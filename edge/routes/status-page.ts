/**
 * @module
 * The page at `GET /status/`: plain HTML served by the edge, no external
 * asset. It asks for the server key once (kept in `sessionStorage`, so it
 * goes with the tab), reads `../status` and `../dead-letters` with it, and
 * shows them as tables plus a 24-hour chart drawn as inline SVG, one section
 * per pixel when the edge serves several. Everything
 * shown is set as text (`textContent`), never as HTML.
 */

const SCRIPT = `
const KEY = 'xcapi-server-key';
const $ = (id) => document.getElementById(id);
function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}
function table(headers, rows) {
  const t = el('table');
  const head = el('tr');
  for (const h of headers) head.append(el('th', h));
  t.append(head);
  for (const row of rows) {
    const tr = el('tr');
    for (const cell of row) tr.append(el('td', cell));
    t.append(tr);
  }
  return t;
}
const pct = (n) => Math.round(n * 100) + '%';
const waiting = (w) => Object.entries(w).map(([r, n]) => r + ': ' + n).join(', ') || '0';
function svg(tag, attrs) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}
function chart(hourly, id) {
  const W = 720, H = 180, pad = 28;
  const max = Math.max(1, ...hourly.map((h) => Math.max(h.accepted, h.sent, h.dead_lettered)));
  const root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', id });
  root.append(svg('line', { x1: pad, y1: H - pad, x2: W, y2: H - pad, stroke: '#999' }));
  const label = svg('text', { x: 2, y: 12, 'font-size': 11 });
  label.textContent = String(max);
  root.append(label);
  const step = (W - pad) / hourly.length;
  const series = [['accepted', '#4a7ebb'], ['sent', '#3a9a5b'], ['dead_lettered', '#c0392b']];
  hourly.forEach((h, i) => {
    series.forEach(([name, color], j) => {
      const height = ((H - 2 * pad) * h[name]) / max;
      const bar = svg('rect', { x: pad + i * step + j * (step / 3), y: H - pad - height,
        width: step / 3 - 1, height, fill: color });
      const title = svg('title', {});
      title.textContent = h.hour + ' ' + name + ': ' + h[name];
      bar.append(title);
      root.append(bar);
    });
    if (i % 6 === 0) {
      const t = svg('text', { x: pad + i * step, y: H - 8, 'font-size': 10 });
      t.textContent = h.hour.slice(11, 16);
      root.append(t);
    }
  });
  return root;
}
async function get(path, key) {
  const res = await fetch(path, { headers: { authorization: 'Bearer ' + key } });
  const body = await res.json();
  if (!res.ok) throw new Error((body.errors && body.errors[0] && body.errors[0].message) || res.status);
  return body;
}
const RANK = { ok: 0, degraded: 1, blocked: 2 };
// One section per pixel (an edge with several lists each the key may read); the header
// shows the worst state.
function show(pixels) {
  const out = $('out');
  out.replaceChildren();
  let worst = 'ok';
  pixels.forEach(([status, dead], i) => {
    if (RANK[status.delivery.state] > RANK[worst]) worst = status.delivery.state;
    if (pixels.length > 1) out.append(el('h2', 'Pixel ' + status.pixel_id, { class: 'pixel' }));
    showPixel(out, status, dead, i === 0 ? 'chart' : 'chart-' + i);
  });
  $('state').textContent = worst;
  $('state').className = worst;
}
function showPixel(out, status, dead, chartId) {
  const d = status.delivery;
  out.append(el('h2', 'Delivery'), table(['pixel', 'state', 'since', 'reason'],
    [[status.pixel_id, d.state, d.since, d.reason || '']]));
  for (const name of ['1h', '24h']) {
    const events = status.windows[name].events;
    out.append(el('h2', 'Last ' + name), table(
      ['event', 'accepted', 'sent', 'waiting', 'dead-lettered', 'skipped', 'twclid', 'email', 'phone', 'IP + UA'],
      Object.entries(events).map(([e, w]) => [e, w.accepted, w.sent, waiting(w.waiting), w.dead_lettered,
        waiting(w.skipped || {}),
        pct(w.coverage.twclid), pct(w.coverage.email), pct(w.coverage.phone), pct(w.coverage.ip_user_agent)])));
  }
  out.append(el('h2', '24 hours'), chart(status.hourly, chartId),
    el('p', 'blue: accepted, green: sent, red: dead-lettered', { class: 'legend' }));
  const b = status.budget;
  if (b) out.append(el('h2', 'Rate budget'), table(['used', 'limit', 'window (s)', 'resets at'],
    [[b.used, b.limit, b.window_seconds, b.resets_at || '']]));
  const e = status.last_error;
  out.append(el('h2', 'Last X error'), e ? table(['at', 'status', 'code', 'message'],
    [[e.at, e.status, e.code, e.message]]) : el('p', 'none'));
  out.append(el('h2', 'Dead letters'), table(['conversion', 'event', 'reason', 'status', 'message', 'dead at'],
    dead.dead_letters.map((l) => [l.conversion_id, l.event, l.reason, l.status, l.message, l.dead_at])));
}
async function load() {
  const key = sessionStorage.getItem(KEY);
  $('login').hidden = Boolean(key);
  if (!key) return;
  try {
    const status = await get('../status', key);
    const pixels = status.pixels || [status];
    const named = (p) => (status.pixels ? '&pixel=' + encodeURIComponent(p.pixel_id) : '');
    const dead = await Promise.all(pixels.map((p) => get('../dead-letters?limit=50' + named(p), key)));
    $('error').textContent = '';
    show(pixels.map((p, i) => [p, dead[i]]));
  } catch (err) {
    $('error').textContent = String(err.message || err);
    if (/SERVER_KEY|bearer|Authorization/i.test($('error').textContent)) {
      sessionStorage.removeItem(KEY);
      $('login').hidden = false;
    }
  }
}
$('login').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $('key').value);
  $('key').value = '';
  load();
});
$('reload').addEventListener('click', load);
load();
`;

/** The whole page, built once. */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>x-capi-edge status</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; }
th { background: #f3f3f3; }
#state { padding: .1rem .5rem; border-radius: .25rem; }
h2.pixel { border-top: 2px solid #222; padding-top: .5rem; }
.ok { background: #d4edda; } .degraded { background: #fff3cd; } .blocked { background: #f8d7da; }
#error { color: #a00; } .legend { color: #666; font-size: 12px; }
</style>
</head>
<body>
<h1>x-capi-edge delivery <span id="state"></span> <button id="reload" type="button">Reload</button></h1>
<form id="login" hidden>
<label>Server key <input id="key" type="password" autocomplete="off" required></label>
<button type="submit">Show status</button>
</form>
<p id="error" role="alert"></p>
<div id="out"></div>
<script>${SCRIPT}</script>
</body>
</html>
`;
