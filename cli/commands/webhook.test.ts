/**
 * `webhook replay` through `runCli`, offline, on the saved shop payloads:
 * the conversion printed is the one the edge's mapping and ingest make
 * (hashed email, exact value, order id), and non-purchases say why.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runCli } from '../main.ts';

const FIXTURES = 'test/fixtures/webhooks';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function replay(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['webhook', 'replay', ...args], {
    env: {},
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

describe('x-capi-edge webhook replay', () => {
  it('prints the conversion a Shopify order makes', async () => {
    const { code, stdout } = await replay(
      `${FIXTURES}/shopify-order.json`,
      '--source',
      'shopify',
      '--json',
    );
    expect(code).toBe(0);
    const { conversion } = JSON.parse(stdout);
    expect(conversion).toMatchObject({
      conversion_id: '6104372981234',
      value: '58.40',
      price_currency: 'EUR',
      event_id: 'purchase',
    });
    expect(conversion.identifiers).toContainEqual({
      hashed_email: sha256('ada.lovelace@example.com'),
    });
    expect(stdout).not.toContain('Lovelace@');
  });

  it('says why a delivery would send nothing', async () => {
    const refund = await replay(
      `${FIXTURES}/shopify-order.json`,
      '--source',
      'shopify',
      '--topic',
      'refunds/create',
    );
    expect(refund).toMatchObject({ code: 0, stdout: expect.stringContaining('cannot retract') });
    const pending = await replay(
      `${FIXTURES}/woocommerce-order.json`,
      '--source',
      'woocommerce',
      '--topic',
      'order.deleted',
    );
    expect(pending.stdout).toContain('ignored, nothing sent');
  });

  it('refuses an unknown source and a file that is not JSON, with exit code 2', async () => {
    const unknown = await replay(`${FIXTURES}/shopify-order.json`, '--source', 'paypal');
    expect(unknown).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--source must be one of'),
    });
    const notJson = await replay('package-lock.json.missing', '--source', 'stripe');
    expect(notJson).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read') });
  });
});
