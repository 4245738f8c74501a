/**
 * @module
 * `POST /webhooks/shopify`, `/webhooks/stripe`, `/webhooks/woocommerce`: the
 * shops' own signed webhooks as server copies of their purchases.
 *
 * Order matters, for every source alike:
 * 1. no secret set: 404, as if the route did not exist;
 * 2. the body is read as bytes, capped, and its signature checked on those
 *    bytes before anything parses them: a bad or missing signature is a 401
 *    and nothing of the body is logged or queued;
 * 3. the mapping (one pure module per shop) says what the delivery is; a
 *    purchase goes through the same ingest as a server call to `POST /events`
 *    (hashing, warnings, delivery, dedup by `conversion_id`);
 * 4. every signed delivery is answered 2xx, also when nothing is sent (other
 *    topics, refunds, unpaid orders, test orders), so the shop does not retry
 *    it for hours: only the signature and the body's shape earn a 4xx.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { settingsOf, type WebhookSettings } from '../config.ts';
import { recordSkipped } from '../delivery/ledger-stub.ts';
import { invalidParameter, XApiError } from '../errors.ts';
import { type AppEnv, requireConfig } from '../http/context.ts';
import { handleNotFound } from '../http/error-handler.ts';
import { scopeToPixel } from '../http/pixel-scope.ts';
import { ingestEvents } from '../ingest/ingest-events.ts';
import { readBytesCapped } from '../ingest/parse-body.ts';
import { log } from '../log.ts';
import { sourceVerdict, TOPIC_HEADERS } from './source-verdict.ts';
import { WebhookShapeError, type WebhookSource, type WebhookVerdict } from './webhook-event.ts';
import { verifyBase64Hmac, verifyStripeSignature } from './webhook-signature.ts';
import { WOOCOMMERCE_PING } from './woocommerce-order.ts';

/** An order with a few hundred lines is well under this; no shop sends more for one order. */
export const WEBHOOK_BODY_LIMIT_BYTES = 1024 * 1024;

/** How one shop signs and what its deliveries mean. */
interface WebhookSpec {
  source: WebhookSource;
  /** The header carrying the signature, as the shop's docs spell it. */
  signatureHeader: string;
  /** Why the signature is refused, or `undefined` when it holds. */
  refusal(
    settings: WebhookSettings,
    body: Uint8Array<ArrayBuffer>,
    headers: Headers,
  ): Promise<string | undefined>;
}

async function base64Refusal(
  settings: WebhookSettings,
  body: Uint8Array<ArrayBuffer>,
  signature: string | null,
): Promise<string | undefined> {
  if (!signature) return 'missing';
  return (await verifyBase64Hmac(settings.secrets, body, signature)) ? undefined : 'mismatch';
}

const SPECS: readonly WebhookSpec[] = [
  {
    source: 'shopify',
    signatureHeader: 'X-Shopify-Hmac-Sha256',
    refusal: (settings, body, headers) =>
      base64Refusal(settings, body, headers.get('x-shopify-hmac-sha256')),
  },
  {
    source: 'stripe',
    signatureHeader: 'Stripe-Signature',
    refusal: async (settings, body, headers) => {
      const header = headers.get('stripe-signature');
      if (!header) return 'missing';
      // Stripe signs with one secret per endpoint; a rolled secret arrives as a second `v1`.
      const check = await verifyStripeSignature(
        settings.secrets[0] ?? '',
        body,
        header,
        Date.now(),
      );
      return check.ok ? undefined : check.reason;
    },
  },
  {
    source: 'woocommerce',
    signatureHeader: 'X-WC-Webhook-Signature',
    refusal: (settings, body, headers) =>
      base64Refusal(settings, body, headers.get('x-wc-webhook-signature')),
  },
];

const decoder = new TextDecoder();

/** WooCommerce's unsigned ping when a webhook is saved: it carries nothing, and must get a 200. */
function isWooCommercePing(source: WebhookSource, headers: Headers, body: Uint8Array): boolean {
  return (
    source === 'woocommerce' &&
    !headers.has('x-wc-webhook-signature') &&
    body.length <= 32 &&
    WOOCOMMERCE_PING.test(decoder.decode(body))
  );
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(body)) as unknown;
  } catch {
    throw new XApiError(400, {
      code: 'INVALID_REQUEST',
      message: 'Request body is not valid JSON',
    });
  }
}

/** Receives one delivery from `spec`'s shop (see the module header for the order of steps). */
function receiver(spec: WebhookSpec) {
  return async function receiveWebhook(c: Context<AppEnv>) {
    c.header('Cache-Control', 'no-store');
    const settings = settingsOf(c.get('config')).webhooks[spec.source];
    if (!settings) return handleNotFound(c);
    requireConfig(c);
    const body = await readBytesCapped(c.req.raw, WEBHOOK_BODY_LIMIT_BYTES);
    const headers = c.req.raw.headers;
    if (isWooCommercePing(spec.source, headers, body)) {
      return c.json({ accepted: 0, conversion_ids: [], message: 'ping received' }, 200);
    }

    const refusal = await spec.refusal(settings, body, headers);
    if (refusal !== undefined) {
      log.warn('webhook refused: bad signature', { via: spec.source, reason: refusal });
      throw new XApiError(401, {
        code: 'UNAUTHORIZED',
        message: `${spec.signatureHeader} is missing or does not match the body signed with ${spec.source.toUpperCase()}_WEBHOOK_SECRET`,
        parameter: spec.signatureHeader,
      });
    }

    // With several pixels the webhook's URL names one: `/webhooks/shopify?pixel=o9d7n`.
    const config = scopeToPixel(c);
    let verdict: WebhookVerdict;
    try {
      const topicHeader = TOPIC_HEADERS[spec.source];
      verdict = sourceVerdict(spec.source, parseJson(body), {
        topic: topicHeader ? (headers.get(topicHeader) ?? undefined) : undefined,
        event: settings.event,
      });
    } catch (err) {
      if (err instanceof WebhookShapeError) throw invalidParameter(err.parameter, err.message);
      throw err;
    }
    if (verdict.kind === 'ignored') {
      return c.json({ accepted: 0, conversion_ids: [], message: verdict.reason }, 200);
    }
    if (verdict.kind === 'skipped') {
      log.info('webhook purchase skipped', { via: spec.source, reason: verdict.reason });
      await recordSkipped(c.env, config.pixelId, [
        { event: settings.event, reason: verdict.reason },
      ]);
      return c.json(
        { accepted: 0, conversion_ids: [], skipped: verdict.reason, message: 'not sent to X' },
        200,
      );
    }

    const outcome = await ingestEvents(
      { env: c.env, queue: c.env.DELIVERY_QUEUE, pixelId: config.pixelId, config },
      verdict.event,
      { rules: config, caller: 'server', via: spec.source },
    );
    if (!outcome.ok) {
      // Answered 2xx all the same: the shop would resend the same order for
      // hours, and it would be refused for the same reason every time.
      log.warn('webhook purchase not sent: refused by ingest', {
        via: spec.source,
        refused: outcome.errors.map((e) => `${e.parameter ?? ''}: ${e.message}`),
      });
      return c.json({ accepted: 0, conversion_ids: [], refused: outcome.errors }, 200);
    }
    return c.json(
      {
        accepted: outcome.conversions.length,
        conversion_ids: outcome.conversions.map((conversion) => conversion.conversion_id),
        ...(outcome.warnings.length > 0 ? { warnings: outcome.warnings } : {}),
      },
      202,
    );
  };
}

export const webhookRoutes = new Hono<AppEnv>();
for (const spec of SPECS) webhookRoutes.post(`/webhooks/${spec.source}`, receiver(spec));
