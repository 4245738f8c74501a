/**
 * @module
 * The local demo (`npm start`): a landing page an ad click lands on, a checkout
 * page that tracks a purchase and a lead form, and a page showing what was sent to
 * X (or, in dry run, what would have been). Mounted only when `DEMO=true`, which
 * `npm start` sets, and only on a loopback host unless `DEMO_PUBLIC=true`; a
 * deployed edge answers 404 here.
 */
import { Hono } from 'hono';
import { html } from 'hono/html';
import { settingsOf } from '../config.ts';
import type { AppEnv } from '../http/context.ts';
import { heldConversions, recentOutbound } from './outbox.ts';

function page(title: string, body: ReturnType<typeof html>) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · x-capi-edge demo</title>
<link rel="icon" href="data:,">
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#0f1419}
nav a{margin-right:1rem}code,pre{background:#f4f4f4;border-radius:4px;padding:.1rem .3rem}
pre{padding:.75rem;overflow:auto;font-size:13px}button,input{font:inherit;padding:.4rem .6rem}
label{display:block;margin:.5rem 0}
</style>
<script async src="../xcapi.js"></script>
<script>window.xcapi=window.xcapi||function(){(xcapi.q=xcapi.q||[]).push(arguments)}</script>
</head>
<body>
<nav><a href="./?twclid=demo-click-123">Landing (with an ad click)</a><a href="checkout">Checkout</a><a href="sent">What was sent</a></nav>
<h1>${title}</h1>
${body}
</body>
</html>`;
}

export const demoRoute = new Hono<AppEnv>();

/**
 * Whether the request was addressed to this machine: 127.0.0.0/8, `::1`,
 * `localhost` or a `*.localhost` name (RFC 6761 section 6.3). A deployed
 * Worker is reached through its own hostname, so this keeps `/demo/sent`
 * (recent real conversions) off the internet even when `DEMO=true` is left on.
 */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}

demoRoute.use('/demo/*', async function demoOnly(c, next) {
  const result = c.get('config');
  const config = settingsOf(result);
  if (!config.demo) return c.notFound();
  if (!config.demoPublic && !isLoopbackHost(new URL(c.req.url).hostname)) return c.notFound();
  await next();
});
demoRoute.get('/demo', (c) => c.redirect(`${c.req.path}/${new URL(c.req.url).search}`, 301));

demoRoute.get('/demo/', (c) =>
  c.html(
    page(
      'Landing page',
      html`<p>An ad click on X lands here with <code>?twclid=…</code> in the URL. The script keeps
the click id in the first-party <code>_twclid</code> cookie (in X pixel's own form) and in
localStorage, and asks the edge to set the same cookie server-side.</p>
<p>Click id stored now: <code id="stored">(none yet)</code></p>
<p>Next: <a href="checkout">go to checkout</a>, days later in real life.</p>
<script>
addEventListener('load',function(){setTimeout(function(){
var m=document.cookie.match(/(?:^|; )_twclid=([^;]*)/);
document.getElementById('stored').textContent=m?decodeURIComponent(m[1]):'(none: no twclid in the URL, or GPC is on)';
},300)});
</script>`,
    ),
  ),
);

demoRoute.get('/demo/checkout', (c) =>
  c.html(
    page(
      'Checkout',
      html`<p>No <code>twclid</code> in this URL: the edge reads it from the cookie.</p>
<label>Email <input id="email" type="email" value="Test@Twitter.com "></label>
<button id="buy">Buy for 20.00 USD</button>
<p id="done" hidden>Purchase tracked: see <a href="sent">what was sent</a>.</p>
<script>
document.getElementById('buy').onclick=function(){
xcapi('track','purchase',{email:document.getElementById('email').value,value:'20.00',currency:'USD',conversion_id:'order-'+Date.now()});
document.getElementById('done').hidden=false;};
</script>
<h2>Newsletter (a lead form)</h2>
<form data-xcapi-event="lead" action="sent" method="post">
<label>Email <input name="email" type="email" required value="lead@example.com"></label>
<button>Sign up</button>
</form>`,
    ),
  ),
);

// The lead form posts here (a GET would put the email in the address bar); the script
// has already sent the lead, so the form's copy is dropped and the visitor sees the log.
demoRoute.post('/demo/sent', (c) => c.redirect(c.req.path, 303));

demoRoute.get('/demo/sent', (c) => {
  const entries = recentOutbound();
  const waiting = heldConversions();
  const result = c.get('config');
  const holdSeconds = settingsOf(result).browserHoldSeconds;
  const mode = result.ok && result.config.credentials.kind !== 'none' ? 'live' : 'dry run';
  c.header('Cache-Control', 'no-store');
  return c.html(
    page(
      'What was sent to X',
      html`<p>Mode: <strong>${mode}</strong>${mode === 'dry run' ? ' (no X credentials: nothing leaves this machine)' : ''}.
Newest first; secrets are redacted; email and phone are SHA-256 hashes. Delivery is queued:
reload after a few seconds.</p>
${
  mode === 'dry run'
    ? html`<p>In dry run, <code>ip_address</code> and <code>user_agent</code> are missing below: they
travel through the queue sealed with <code>QUEUE_SEAL_KEY</code>, and without it they are
left out. Nothing is delivered either, so the 48-hour
duplicate check remembers nothing: the same <code>conversion_id</code> sent twice shows up twice
here, where X would count it once.</p>`
    : ''
}
${
  waiting.length > 0
    ? html`<section id="waiting"><h2>Waiting</h2>
<p>Browser copies are held for ${holdSeconds} seconds (<code>BROWSER_HOLD_SECONDS</code>) so that
the shop's server copy of the same order, if one comes, reaches X first. Then they go with the
next delivery batch.</p>
<ul>${waiting.map(
        (w) =>
          html`<li><code>${w.conversionId}</code> (event <code>${w.eventId}</code>): held until ${new Date(w.until).toISOString()}</li>`,
      )}</ul></section>`
    : ''
}
${
  entries.length === 0
    ? html`<p>${waiting.length > 0 ? 'Nothing sent yet.' : 'Nothing yet.'}</p>`
    : entries.map(
        (e) =>
          html`<h3>${e.at} · ${e.outcome}${e.status ? ` (${e.status})` : ''}</h3>
<pre>POST ${e.url}
${Object.entries(e.headers)
  .map(([k, v]) => `${k}: ${v}`)
  .join('\n')}

${JSON.stringify(e.body, null, 2)}</pre>`,
      )
}`,
    ),
  );
});
