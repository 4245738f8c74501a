import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../edge/app.ts';
import { parseConfig } from '../../edge/config.ts';
import { recordingOutbound } from '../../edge/demo/outbox.ts';
import type { XConversion } from '../../edge/x-api/conversion.ts';

const app = createApp('');
const demoEnv = { ...env, DEMO: 'true' };

function config() {
  const result = parseConfig(env);
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.config;
}

describe('demo pages', () => {
  it('are not served unless DEMO=true', async () => {
    for (const path of ['/demo/', '/demo/checkout', '/demo/sent']) {
      const res = await app.request(path, {}, env);
      expect(res.status, path).toBe(404);
    }
  });

  it('serve a landing page that loads the script tag and keeps the click id', async () => {
    const res = await app.request('/demo/?twclid=abc', {}, demoEnv);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<script async src="../xcapi.js"></script>');
    expect(html).toContain('(xcapi.q=xcapi.q||[]).push(arguments)');
  });

  it('redirect /demo to /demo/ keeping the query', async () => {
    const res = await app.request('/demo?twclid=abc', {}, demoEnv);
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/demo/?twclid=abc');
  });

  it('serve a checkout page with a purchase and a lead form', async () => {
    const html = await (await app.request('/demo/checkout', {}, demoEnv)).text();
    expect(html).toContain("xcapi('track','purchase'");
    expect(html).toContain('data-xcapi-event="lead"');
  });

  it('show what was sent with secrets redacted and IP addresses masked', async () => {
    const conversion: XConversion = {
      conversion_time: '2026-11-28T12:00:00.000Z',
      event_id: 'o9d2g',
      conversion_id: 'demo-order-7',
      identifiers: [
        { twclid: 'demo-click-123' },
        { ip_address: '203.0.113.9', user_agent: 'Mozilla/5.0' },
      ],
    };
    const send = recordingOutbound(async () => ({ kind: 'delivered', status: 200 }));
    await send(config(), [conversion], { pixelId: 'o9d7n' });

    const res = await app.request('/demo/sent', {}, demoEnv);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('demo-order-7');
    expect(html).toContain('authorization: [redacted]');
    expect(html).toContain('/measurement/conversions/o9d7n');
    expect(html).not.toContain('203.0.113.9');
    expect(html).not.toContain(String(env.X_CONSUMER_SECRET));
  });

  it('say a purchase is waiting while its browser copy is held, and no longer once it was sent', async () => {
    const held = { ...demoEnv, BROWSER_HOLD_SECONDS: '60' };
    const id = `demo-held-${Date.now()}`;
    const res = await app.request(
      '/events',
      {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://shop.example' },
        body: JSON.stringify({
          event: 'purchase',
          email: 'buyer@example.com',
          value: '20.00',
          currency: 'USD',
          conversion_id: id,
        }),
      },
      held,
    );
    expect(res.status).toBe(202);

    const waiting = await (await app.request('/demo/sent', {}, held)).text();
    expect(waiting).toContain('<h2>Waiting</h2>');
    expect(waiting).toContain('held for 60 seconds');
    expect(waiting).toContain(id);

    const send = recordingOutbound(async () => ({ kind: 'delivered', status: 200 }));
    const eventId = config().events.purchase as string;
    await send(
      config(),
      [
        {
          conversion_time: '2026-11-28T12:00:00.000Z',
          event_id: eventId,
          conversion_id: id,
          identifiers: [{ twclid: 'x' }],
        },
      ],
      { pixelId: 'o9d7n' },
    );
    const after = await (await app.request('/demo/sent', {}, held)).text();
    expect(after).not.toContain('<h2>Waiting</h2>');
    expect(after).toContain(id);
  });
});
