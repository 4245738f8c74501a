/**
 * @module
 * The X ad account the fake X API knows by default, and the credentials the
 * edge under test is configured with. Fake values only: nothing here is real.
 */
export const TEST_ACCOUNT = {
  accountId: '18ce552mlaq',
  pixelId: 'o9d7n',
  events: { purchase: 'o9d2g', lead: 'o9d2h', signup: 'o9d2i' } as Record<string, string>,
  consumerKey: 'test-consumer-key',
  consumerSecret: 'test-consumer-secret',
  accessToken: 'test-access-token',
  accessTokenSecret: 'test-access-token-secret',
  pixelToken: 'test-pixel-token',
  serverKey: 'test-server-key-0123456789abcdef',
  /** QUEUE_SEAL_KEY of the edge under test (required with X credentials). */
  queueSealKey: 'test-queue-seal-key-0123456789abcdef',
} as const;
