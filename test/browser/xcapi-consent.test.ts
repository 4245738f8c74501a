/**
 * The built dist/xcapi-consent.js beside dist/xcapi.js (`data-consent="pending"`) in
 * Chromium, served by the running edge, delivering to the fake X API (see ./shop.ts).
 * The consent banners are stubs written here: a `gtag` that pushes its `arguments` to
 * the dataLayer, and a minimal `__tcfapi` CMP. Every test also asserts the page
 * logged no error and threw nothing.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { fakeXControl } from '../fake-x/control.ts';
import { TEST_ACCOUNT } from '../fake-x/test-account.ts';
import {
  browserTestsEnabled,
  eventsSent,
  requestsTo,
  type Shop,
  shopPage,
  useRig,
} from './shop.ts';

const TWCLID = 'consentclick00000000000000';
const FRAME_HOST = 'https://pay.shop.example';
const ADAPTER = '<script async src="/xcapi-consent.js"></script>';
const PENDING = 'data-consent="pending"';

/** gtag as Google's snippet defines it: `arguments` objects on the dataLayer. */
const GTAG = `<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}</script>`;

/**
 * A minimal TCF v2.2 CMP: `__tcfapi('addEventListener', 2, cb)` registers cb and
 * calls it with the current answer, if there is one; `cmp.answer(tcData)` is the
 * visitor's choice (`useractioncomplete`), sent to every listener; `cmp.listeners`
 * counts them. With `silent`, the CMP takes listeners and never calls them back.
 */
function tcfCmpSource({ silent = false } = {}): string {
  return `(() => {
  const listeners = [];
  let current;
  const send = (cb, id) => cb({ ...current, listenerId: id, tcString: 'stub' }, true);
  window.__tcfapi = (command, version, callback) => {
    if (command === 'addEventListener' && version === 2) {
      listeners.push(callback);
      if (current && !${silent}) send(callback, listeners.length);
    }
  };
  window.cmp = {
    get listeners() { return listeners.length; },
    answer(tcData) {
      current = { eventStatus: 'useractioncomplete', ...tcData };
      if (!${silent}) listeners.forEach(send);
    },
  };
})();`;
}

const tcfCmp = (options?: { silent?: boolean }) => `<script>${tcfCmpSource(options)}</script>`;

/** TCF answers: GDPR applies, with these purposes and vendors consented. */
const consents = (purposes: number[], vendors: number[] = []) => ({
  gdprApplies: true,
  purpose: { consents: Object.fromEntries(purposes.map((p) => [p, true])) },
  vendor: { consents: Object.fromEntries(vendors.map((v) => [v, true])) },
});

type Win = {
  gtag: (...args: unknown[]) => void;
  cmp: { listeners: number; answer(tcData: unknown): void };
  xcapi: (...args: unknown[]) => void;
  dataLayer: unknown[];
};

const gtag = (page: Page, ...args: unknown[]) =>
  page.evaluate((a) => (window as unknown as Win).gtag(...a), args);
const answer = (page: Page, tcData: unknown) =>
  page.evaluate((t) => (window as unknown as Win).cmp.answer(t), tcData);
const track = (page: Page, conversionId: string) =>
  page.evaluate(
    (id) =>
      (window as unknown as Win).xcapi('track', 'purchase', {
        conversion_id: id,
        value: 9,
        currency: 'EUR',
      }),
    conversionId,
  );

/** Waits until the adapter listens to the CMP. */
const tcfListening = (page: Page) =>
  page.waitForFunction(() => (window as unknown as Win).cmp?.listeners > 0);
/** Waits until the adapter follows the dataLayer (it wraps `push`). */
const gcmFollowed = (page: Page) =>
  page.waitForFunction(() => (window as unknown as Win).dataLayer.push !== Array.prototype.push);
/** Lets pending tasks (the script stores the click id in a task of its own) run. */
const settle = (page: Page) => page.evaluate(() => new Promise((r) => setTimeout(r, 300)));

/** Nothing stored, nothing sent. */
async function expectNothing(s: Shop): Promise<void> {
  expect(await s.clickCookie()).toBeUndefined();
  expect(await s.storedCopy()).toBeNull();
  expect(await s.sent()).toEqual([]);
}

/** The conversions the fake X received with this conversion id. */
async function atX(fakeXUrl: string, conversionId: string) {
  const received = await fakeXControl(fakeXUrl).received(TEST_ACCOUNT.pixelId);
  return received.conversions.filter((c) => c.conversion_id === conversionId);
}

describe.skipIf(!browserTestsEnabled())('the consent adapter in Chromium', () => {
  const { open, fakeXUrl } = useRig({ allowedOrigins: [FRAME_HOST] });

  it('Consent Mode default denied: nothing stored or sent until the update grants both keys', async () => {
    const s = await open({
      pages: {
        '/': shopPage({
          tag: PENDING,
          extraHead: `${GTAG}<script>gtag('consent', 'default', { ad_storage: 'denied', ad_user_data: 'denied', region: ['FR'] });
            gtag('consent', 'default', { ad_storage: 'granted', ad_user_data: 'granted' });</script>${ADAPTER}`,
        }),
      },
    });
    await s.page.goto(`/?twclid=${TWCLID}`);
    await s.scriptLoaded();
    await gcmFollowed(s.page);
    await track(s.page, 'gcm-1');
    // A regional default applies everywhere, and another default does not lift it.
    await settle(s.page);
    await expectNothing(s);

    // Storage alone is not enough: sending needs ad_user_data too.
    await gtag(s.page, 'consent', 'update', { ad_storage: 'granted' });
    await settle(s.page);
    await expectNothing(s);

    await gtag(s.page, 'consent', 'update', { ad_user_data: 'granted' });
    await expect.poll(() => eventsSent(s).length).toBe(1);
    expect(eventsSent(s)[0]).toMatchObject({ conversion_id: 'gcm-1', twclid: TWCLID });
    await expect.poll(() => requestsTo(s, '/click')[0]?.status).toBe(204);
    expect(decodeURIComponent((await s.clickCookie())?.value ?? '')).toContain(TWCLID);
    expect(JSON.parse((await s.storedCopy()) ?? '{}').twclid).toBe(TWCLID);
    await expect
      .poll(async () => (await atX(fakeXUrl(), 'gcm-1')).length, { timeout: 30_000 })
      .toBe(1);
    expect((await atX(fakeXUrl(), 'gcm-1'))[0]?.identifiers).toContainEqual({ twclid: TWCLID });
  });

  it('Consent Mode granted then withdrawn: cookie and localStorage cleared, nothing sent after', async () => {
    // The adapter's tag before the main one, and consent given before either loads.
    const s = await open({
      pages: {
        '/': shopPage({
          tag: PENDING,
          extraHead: `${GTAG}<script>gtag('consent', 'default', { ad_storage: 'granted', ad_user_data: 'granted' })</script>${ADAPTER}`,
        }),
      },
    });
    await s.page.goto(`/?twclid=${TWCLID}`);
    await s.scriptLoaded();
    await expect.poll(() => requestsTo(s, '/click')[0]?.status).toBe(204);
    expect(await s.clickCookie()).toBeDefined();
    expect(await s.storedCopy()).not.toBeNull();

    await gtag(s.page, 'consent', 'update', { ad_storage: 'denied' });
    expect(await s.clickCookie()).toBeUndefined();
    expect(await s.storedCopy()).toBeNull();
    await track(s.page, 'gcm-withdrawn');
    await settle(s.page);
    expect(eventsSent(s)).toEqual([]);
    expect(await s.sent()).toEqual(['fetch /click']);
  });

  it('TCF: purpose 1 refused, or the named vendor refused, is no consent; all three consented is', async () => {
    const s = await open({
      pages: {
        '/': shopPage({
          tag: PENDING,
          extraHead: tcfCmp(),
          body: '<script async src="/xcapi-consent.js" data-tcf-vendor="321"></script>',
        }),
      },
    });
    await s.page.goto(`/?twclid=${TWCLID}`);
    await s.scriptLoaded();
    await tcfListening(s.page);
    await track(s.page, 'tcf-1');
    await answer(s.page, consents([7], [321]));
    await settle(s.page);
    await expectNothing(s);
    await answer(s.page, consents([1, 7], [999]));
    await settle(s.page);
    await expectNothing(s);

    await answer(s.page, consents([1, 7], [321]));
    await expect.poll(() => eventsSent(s).length).toBe(1);
    expect(eventsSent(s)[0]).toMatchObject({ conversion_id: 'tcf-1', twclid: TWCLID });
    await expect.poll(async () => (await s.clickCookie())?.value).toBeDefined();
  });

  it('TCF gdprApplies false is consent', async () => {
    const s = await open({
      pages: {
        '/': shopPage({
          tag: PENDING,
          extraHead: `${tcfCmp()}<script>cmp.answer({ gdprApplies: false, eventStatus: 'tcloaded' })</script>${ADAPTER}`,
        }),
      },
    });
    await s.page.goto(`/?twclid=${TWCLID}`);
    await s.scriptLoaded();
    await track(s.page, 'tcf-outside-gdpr');
    await expect.poll(() => eventsSent(s).length).toBe(1);
    expect(eventsSent(s)[0]).toMatchObject({ conversion_id: 'tcf-outside-gdpr', twclid: TWCLID });
    await expect.poll(() => requestsTo(s, '/click')[0]?.status).toBe(204);
  });

  it('a CMP that loads after both scripts is found and followed', async () => {
    const s = await open({ pages: { '/': shopPage({ tag: PENDING, body: ADAPTER }) } });
    await s.page.goto(`/?twclid=${TWCLID}`);
    await s.scriptLoaded();
    await track(s.page, 'late-cmp');
    await expect.poll(() => requestsTo(s, '/xcapi-consent.js')[0]?.status).toBe(200);
    await settle(s.page);
    // The CMP's own script arrives later, as a tag manager would add it.
    await s.page.addScriptTag({ content: tcfCmpSource() });
    await tcfListening(s.page);
    await expectNothing(s);
    await answer(s.page, consents([1, 7]));
    await expect.poll(() => eventsSent(s).length).toBe(1);
    expect(eventsSent(s)[0]).toMatchObject({ conversion_id: 'late-cmp', twclid: TWCLID });
  });

  it('a CMP that never answers keeps consent pending, even with Consent Mode granted', async () => {
    const s = await open({
      pages: {
        '/': shopPage({
          tag: PENDING,
          extraHead: `${GTAG}<script>gtag('consent', 'default', { ad_storage: 'granted', ad_user_data: 'granted' })</script>${tcfCmp({ silent: true })}${ADAPTER}`,
        }),
      },
    });
    await s.page.goto(`/?twclid=${TWCLID}`);
    await s.scriptLoaded();
    await tcfListening(s.page);
    await track(s.page, 'silent-cmp');
    await answer(s.page, consents([1, 7]));
    await settle(s.page);
    await expectNothing(s);
  });

  it('Consent Mode and TCF disagreeing: the stricter wins, both ways', async () => {
    const s = await open({
      pages: {
        '/': shopPage({
          tag: PENDING,
          extraHead: `${GTAG}${tcfCmp()}<script>gtag('consent', 'default', { ad_storage: 'granted', ad_user_data: 'granted' })</script>${ADAPTER}`,
        }),
      },
    });
    await s.page.goto(`/?twclid=${TWCLID}`);
    await s.scriptLoaded();
    await tcfListening(s.page);
    await track(s.page, 'disagree-1');
    await answer(s.page, consents([1]));
    await settle(s.page);
    await expectNothing(s);

    await answer(s.page, consents([1, 7]));
    await expect.poll(() => eventsSent(s).length).toBe(1);
    await expect.poll(async () => (await s.clickCookie())?.value).toBeDefined();

    // TCF still grants; Consent Mode now refuses: withdrawn.
    await gtag(s.page, 'consent', 'update', { ad_user_data: 'denied' });
    expect(await s.clickCookie()).toBeUndefined();
    expect(await s.storedCopy()).toBeNull();
    await track(s.page, 'disagree-2');
    await settle(s.page);
    expect(eventsSent(s).map((e) => e.conversion_id)).toEqual(['disagree-1']);
  });

  it('in a frame, reaches the CMP of the parent page through its __tcfapiLocator frame', async () => {
    // The parent's CMP answers __tcfapiCall messages as the standard's stub does.
    const locator = `<script>
      const frame = document.createElement('iframe');
      frame.name = '__tcfapiLocator';
      frame.style.display = 'none';
      document.documentElement.append(frame);
      addEventListener('message', (event) => {
        const call = event.data && event.data.__tcfapiCall;
        if (!call) return;
        __tcfapi(call.command, call.version, (returnValue, success) => {
          event.source.postMessage(JSON.stringify({ __tcfapiReturn: { returnValue, success, callId: call.callId } }), '*');
        });
      });
    </script>`;
    const s = await open({
      hosts: [FRAME_HOST],
      pages: {
        '/': `<!doctype html><title>shop</title>${tcfCmp()}${locator}<iframe src="${FRAME_HOST}/checkout?twclid=${TWCLID}"></iframe>`,
        '/checkout': shopPage({
          tag: PENDING,
          extraHead: `<script>xcapi('track', 'purchase', { conversion_id: 'framed-1' })</script>${ADAPTER}`,
        }),
      },
    });
    await s.page.goto('/');
    await tcfListening(s.page);
    const frame = s.page.frames().find((f) => f.url().startsWith(FRAME_HOST));
    expect(frame).toBeDefined();
    expect(await frame?.evaluate(() => typeof (window as { __tcfapi?: unknown }).__tcfapi)).toBe(
      'undefined',
    );
    await settle(s.page);
    expect(eventsSent(s)).toEqual([]);
    await answer(s.page, consents([1, 7]));
    await expect.poll(() => eventsSent(s).length).toBe(1);
    expect(eventsSent(s)[0]).toMatchObject({ conversion_id: 'framed-1', twclid: TWCLID });
    expect(requestsTo(s, '/events')[0]?.headers.origin).toBe(FRAME_HOST);
  });
});

describe.skipIf(!browserTestsEnabled())('the debug switch in Chromium', () => {
  const { open } = useRig();

  /** The script's console messages (`xcapi ...`) on this shop's page. */
  function messages(s: Shop): string[] {
    const seen: string[] = [];
    s.page.on('console', (m) => {
      if (m.text().startsWith('xcapi')) seen.push(m.text());
    });
    return seen;
  }

  it('data-debug says why: no consent, no click id, a form without data-xcapi-event', async () => {
    const page = shopPage({
      tag: `${PENDING} data-debug`,
      body: '<form id="plain" action="/thanks"><input name="q"></form>',
    });
    const s = await open({ pages: { '/': page, '/thanks': '<title>thanks</title>' } });
    const seen = messages(s);
    await s.page.goto('/');
    await s.scriptLoaded();
    await track(s.page, 'debug-1');
    expect(seen).toEqual(['xcapi purchase not sent: no consent']);

    await s.page.evaluate(() => (window as unknown as Win).xcapi('consent', true));
    await expect.poll(() => seen).toContain('xcapi purchase no click id');
    await s.page.evaluate(() =>
      (document.getElementById('plain') as HTMLFormElement).requestSubmit(),
    );
    await s.page.waitForURL('**/thanks?q=');
    expect(seen.some((m) => /^xcapi .*not sent: no data-xcapi-event$/.test(m))).toBe(true);
  });

  it("xcapi('debug') reports Global Privacy Control", async () => {
    const s = await open({
      gpc: true,
      pages: { '/': shopPage({ extraHead: `<script>xcapi('debug')</script>` }) },
    });
    const seen = messages(s);
    await s.page.goto(`/?twclid=${TWCLID}`);
    await s.scriptLoaded();
    await track(s.page, 'debug-gpc');
    expect(seen).toEqual(['xcapi purchase not sent: GPC']);
    expect(await s.sent()).toEqual([]);
  });

  it('a failed beacon is reported, and without the switch nothing is logged', async () => {
    const failing = 'https://down.shop.example';
    const s = await open({
      pages: {
        '/': shopPage({ tag: `data-debug data-endpoint="${failing}"` }),
        '/quiet': shopPage({ tag: `data-endpoint="${failing}"` }),
      },
    });
    await s.context.route(`${failing}/**`, (route) => route.abort());
    const seen = messages(s);
    await s.page.goto(`/?twclid=${TWCLID}`);
    await s.scriptLoaded();
    await expect.poll(() => seen).toEqual([`xcapi ${failing}/click not sent: failed`]);
    await s.page.goto(`/quiet?twclid=${TWCLID}`);
    await s.scriptLoaded();
    await s.page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
    expect(seen).toHaveLength(1);
    // Chromium's own console lines for the aborted requests, the test's doing.
    expect(s.errors.every((e) => e.includes('net::ERR_FAILED'))).toBe(true);
    s.errors.length = 0;
  });
});
