/**
 * @module
 * Runs the fake X API as its own process, for manual runs, browser tests and
 * benchmarks: `node test/fake-x/main.ts [--port N]` (or `npm run fake-x`).
 * Prints the URL and the default account, then one line per request (status,
 * outcome, counts: never a credential or identifier).
 */
import { startFakeX } from './server.ts';
import { TEST_ACCOUNT } from './test-account.ts';

function portArgument(argv: readonly string[]): number {
  const index = argv.indexOf('--port');
  if (index === -1) return 0;
  const port = Number(argv[index + 1]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('usage: node test/fake-x/main.ts [--port N]');
    process.exit(2);
  }
  return port;
}

const server = await startFakeX({
  port: portArgument(process.argv.slice(2)),
  onRequest: (entry) => {
    const parts = [
      entry.at,
      `POST /${entry.apiVersion}/measurement/conversions/${entry.pixelId}`,
      String(entry.status),
      entry.outcome,
      `auth=${entry.auth}`,
      `conversions=${entry.count}`,
    ];
    if (entry.fault) parts.push(`fault=${entry.fault}`);
    if (entry.debugId) parts.push(`debug_id=${entry.debugId}`);
    if (entry.errors?.[0]) parts.push(`error=${entry.errors[0].code}`);
    console.log(parts.join(' '));
  },
});

console.log(`fake X API listening on ${server.url}`);
console.log(
  `default account: pixel ${TEST_ACCOUNT.pixelId}, account ${TEST_ACCOUNT.accountId}, events ${JSON.stringify(TEST_ACCOUNT.events)}`,
);
console.log(`control API: ${server.url}/__fake/ (see test/fake-x/control.ts)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
