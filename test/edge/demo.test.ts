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
});
