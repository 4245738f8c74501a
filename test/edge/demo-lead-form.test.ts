/**
 * The demo's lead form never puts the email in a URL: it posts, and the post
 * answers a 303 to the "what was sent" page without a query.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../edge/app.ts';

const app = createApp('');
const demoEnv = { ...env, DEMO: 'true' };
const LOOPBACK = 'http://127.0.0.1:8787';

describe('demo lead form', () => {
  it('posts (a GET form would show the email in the address bar)', async () => {
    const html = await (await app.request(`${LOOPBACK}/demo/checkout`, {}, demoEnv)).text();
    const form = /<form data-xcapi-event="lead"[^>]*>/.exec(html)?.[0];
    expect(form).toBeDefined();
    expect(form).toContain('method="post"');
  });

  it('answers its post with a 303 to the sent page, no email anywhere in the URL', async () => {
    const res = await app.request(
      `${LOOPBACK}/demo/sent`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'email=lead%40example.com&twclid=demo-click-123',
      },
      demoEnv,
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/demo/sent');
  });

  it('keeps BASE_PATH in that redirect', async () => {
    const res = await createApp('/xcapi').request(
      `${LOOPBACK}/xcapi/demo/sent`,
      { method: 'POST', body: 'email=lead%40example.com' },
      { ...demoEnv, BASE_PATH: '/xcapi' },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/xcapi/demo/sent');
  });

  it('says on the sent page, in dry run, why addresses are missing and ids repeat', async () => {
    const dryEnv = {
      ...demoEnv,
      X_CONSUMER_KEY: '',
      X_CONSUMER_SECRET: '',
      X_ACCESS_TOKEN: '',
      X_ACCESS_TOKEN_SECRET: '',
    };
    const html = await (await app.request(`${LOOPBACK}/demo/sent`, {}, dryEnv)).text();
    expect(html).toContain('<strong>dry run</strong>');
    expect(html).toContain('<code>ip_address</code> and <code>user_agent</code> are missing');
    expect(html).toContain('the same <code>conversion_id</code> sent twice shows up twice');
  });
});
