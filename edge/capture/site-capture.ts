/**
 * @module
 * Edge capture (`SITE_CAPTURE=true`): the Worker runs on the whole site (route
 * `shop.example/*`) and every request that is not one of its own routes goes
 * through to the site's origin, streamed and untouched, except that
 * - a GET for an HTML page whose URL has a valid `twclid` gets the `_twclid`
 *   cookie on the origin's own response, a redirect included: the click id is
 *   kept before any script runs, even when the landing page redirects and drops
 *   the query, and in an HTTP cookie of the site's own, which Safari does not cap;
 * - with `INJECT_SCRIPT=true`, HTML pages get the script tag (./inject-script.ts).
 *
 * Whatever the origin answers (4xx, 5xx, any body) is what the visitor gets. Only
 * an origin that cannot be reached at all gets an answer of the edge's own: a
 * plain-text 502, as Cloudflare answers for an unreachable origin.
 */
import type { Context } from 'hono';
import type { AppEnv } from '../http/context.ts';
import { handleNotFound } from '../http/error-handler.ts';
import { errorName, log } from '../log.ts';
import { type SiteCaptureSettings, siteCaptureSettings } from './capture-settings.ts';
import { injectScript } from './inject-script.ts';
import { landingCookie } from './landing-cookie.ts';

/** The request as it goes to the origin: the same one, or re-aimed at `originUrl`. */
function toOrigin(request: Request, originUrl: string | undefined): Request {
  if (!originUrl) return request;
  const url = new URL(request.url);
  const origin = new URL(originUrl);
  url.protocol = origin.protocol;
  url.host = origin.host;
  return new Request(url, request);
}

/** A browser navigation to a page (not an image, script or fetch call). */
function isDocumentRequest(request: Request): boolean {
  const dest = request.headers.get('sec-fetch-dest');
  if (dest) return dest === 'document';
  return (request.headers.get('accept') ?? '').includes('text/html');
}

function isHtml(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/html');
}

/**
 * The origin's answer to `request`, with the landing cookie and the script tag
 * where they belong.
 *
 * @example
 * return passToOrigin(c.req.raw, { injectScript: false, basePath: '', cookieDays: 30 });
 */
export async function passToOrigin(
  request: Request,
  settings: SiteCaptureSettings,
): Promise<Response> {
  let response: Response;
  try {
    // Redirects are the visitor's to follow (and to carry the cookie), not ours.
    response = await fetch(toOrigin(request, settings.originUrl), { redirect: 'manual' });
  } catch (error) {
    log.warn('site origin unreachable', { error: errorName(error) });
    return new Response("502 Bad Gateway: the site's origin could not be reached.\n", {
      status: 502,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
    });
  }
  // Other methods and the origin's errors go back exactly as they came.
  if (request.method !== 'GET' || response.status >= 400) return response;

  const html = isHtml(response);
  const redirect = response.status >= 300 && isDocumentRequest(request);
  const cookie = html || redirect ? landingCookie(request, settings) : undefined;
  const inject = settings.injectScript && html && response.status < 300 && response.body !== null;
  if (!cookie && !inject) return response;

  // A copy with mutable headers; the body still streams from the origin.
  const answer = new Response(response.body, response);
  if (cookie) answer.headers.append('Set-Cookie', cookie);
  return inject ? injectScript(answer, settings.basePath, settings.cookieDomain) : answer;
}

/** The app's not-found handler: the site itself under edge capture, else a 404. */
export function siteOrNotFound(c: Context<AppEnv>): Response | Promise<Response> {
  const capture = siteCaptureSettings(c.get('config'));
  return capture ? passToOrigin(c.req.raw, capture) : handleNotFound(c);
}
