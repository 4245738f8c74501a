/**
 * @module
 * Adds the browser script to an HTML page on its way from the origin
 * (`INJECT_SCRIPT=true`), with Cloudflare's streaming HTMLRewriter: the page is
 * never held in memory, the visitor gets its first bytes as soon as the origin
 * sends them.
 *
 * The tag and the queue stub go just before `</head>`, unless a script whose
 * `src` ends in `xcapi.js` came earlier in the head (the page has its own tag,
 * maybe with `data-*` settings, which wins). A page without a `<head>` tag gets
 * them at the start of `<body>`. With `COOKIE_DOMAIN` set, the tag carries it as
 * `data-cookie-domain`, so the script writes `_twclid` for the same parent domain
 * as the edge does.
 */

/** The README's queue stub: calls made before the script loads wait in `xcapi.q`. */
const QUEUE_STUB =
  '<script>window.xcapi=window.xcapi||function(){(xcapi.q=xcapi.q||[]).push(arguments)}</script>';

/** A script tag loading this project's script, whatever its host, directory or query. */
const OWN_SCRIPT_SRC = /(?:^|\/)xcapi\.js(?:[?#]|$)/;

/**
 * The tags injected into pages, for a script served at `{basePath}/xcapi.js`.
 * `cookieDomain` is written as is: the configuration only lets a plain domain
 * name through (letters, digits, dots and hyphens).
 *
 * @example
 * injectedTags('/xcapi', 'shop.example');
 * // '<script>window.xcapi=...</script><script async src="/xcapi/xcapi.js" data-cookie-domain="shop.example"></script>'
 */
export function injectedTags(basePath: string, cookieDomain?: string): string {
  const domain = cookieDomain ? ` data-cookie-domain="${cookieDomain}"` : '';
  return `${QUEUE_STUB}<script async src="${basePath}/xcapi.js"${domain}></script>`;
}

/**
 * The page with the script added, streamed. The body changes, so the origin's
 * `Content-Length` goes (the length is no longer known) and a strong `ETag`
 * becomes weak (same meaning, no longer byte for byte).
 *
 * @example
 * return injectScript(await fetch(request), '/xcapi', 'shop.example');
 */
export function injectScript(page: Response, basePath: string, cookieDomain?: string): Response {
  const tags = injectedTags(basePath, cookieDomain);
  let present = false;
  let placed = false;
  const rewritten = new HTMLRewriter()
    .on('head script[src]', {
      element(script) {
        if (OWN_SCRIPT_SRC.test(script.getAttribute('src') ?? '')) present = true;
      },
    })
    .on('head', {
      element(head) {
        head.onEndTag((end) => {
          if (!present && !placed) end.before(tags, { html: true });
          placed = true;
        });
      },
    })
    .on('body', {
      element(body) {
        if (!present && !placed) body.prepend(tags, { html: true });
        placed = true;
      },
    })
    .transform(page);
  const headers = new Headers(rewritten.headers);
  headers.delete('content-length');
  const etag = headers.get('etag');
  if (etag && !etag.startsWith('W/')) headers.set('etag', `W/${etag}`);
  return new Response(rewritten.body, {
    status: rewritten.status,
    statusText: rewritten.statusText,
    headers,
  });
}
