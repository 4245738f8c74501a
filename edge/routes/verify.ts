/**
 * @module
 * `POST /events/verify` (server key): one conversion, built exactly as
 * `POST /events` builds a server call's, sent to X at once instead of queued,
 * and answered with X's status and body. X shows a conversion only 12-24 hours
 * later; this checks credentials, pixel and an event's tag in seconds.
 *
 * It bypasses the queue, the rate budget and the dedup memory: it is a check,
 * one request per call. X itself counts an event + `conversion_id` once within
 * 48 hours, so use a test conversion id, not a real order's.
 */
import { Hono } from 'hono';
import { invalidParameter, XApiError } from '../errors.ts';
import { type AppEnv, requireConfig } from '../http/context.ts';
import { scopeToPixel, takePixelField } from '../http/pixel-scope.ts';
import { requireServerKey } from '../http/require-server-key.ts';
import { isBatch } from '../ingest/event-schema.ts';
import { parseBody, SERVER_BODY_LIMIT_BYTES } from '../ingest/parse-body.ts';
import { validateEvent } from '../ingest/validate-event.ts';
import { sendConversions } from '../x-api/x-client.ts';

export const verifyRoute = new Hono<AppEnv>().post(
  '/events/verify',
  requireServerKey(),
  async function verifyEvent(c) {
    requireConfig(c);
    const body = await parseBody(c.req.raw, SERVER_BODY_LIMIT_BYTES);
    if (body.kind !== 'json' || isBatch(body.value)) {
      throw invalidParameter('', 'verify takes one event object as JSON, as POST /events does');
    }
    const config = scopeToPixel(c, takePixelField(body.value));
    const validated = await validateEvent(body.value, { rules: config, caller: 'server' });
    if (!validated.ok) throw new XApiError(400, validated.errors);
    if (validated.skip) {
      throw invalidParameter(
        'consent.ad_user_data',
        'ad_user_data is denied, so this conversion would never be sent to X: nothing to verify',
      );
    }
    const { conversion, warnings } = validated;
    if (config.credentials.kind === 'none') {
      throw new XApiError(503, {
        code: 'SERVICE_UNAVAILABLE',
        message: 'dry run: no X credentials are configured, so nothing can be verified',
      });
    }
    const outcome = await sendConversions(config, [conversion], { withAnswer: true });
    if (!outcome.answer) {
      const reason = outcome.kind === 'retryable' ? outcome.reason : outcome.kind;
      throw new XApiError(502, {
        code: 'X_UNREACHABLE',
        message: `X could not be reached: ${reason}`,
      });
    }
    return c.json({
      x_status: outcome.answer.status,
      x_body: outcome.answer.body,
      conversion_id: conversion.conversion_id,
      ...(warnings.length > 0 ? { warnings } : {}),
    });
  },
);
