import { describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from '../../test/browser/chromium.ts';
import type { ApiFloor, ApiProbeFigures } from '../client-api-floor.ts';
import type { ClientMainThread, VariantFigures } from '../client-main-thread.ts';
import { PUBLISHED_TRACKER_SIZES } from '../client-size.ts';
import type { IngestThroughput, LoadFigures } from '../ingest-throughput.ts';
import { LANDING_EXTRA_ARGS } from './landing-page.ts';
import type { MachineInfo } from './machine.ts';
import { type BenchResults, renderBenchmarks } from './report.ts';
import { summarize } from './stats.ts';

const machine: MachineInfo = {
  date: '2026-11-29T00:40:00.000Z',
  cpus: 2,
  cpuModel: 'AMD EPYC',
  node: 'v22.23.3',
  platform: 'linux x64',
  loadAverage: [1.5, 1.2, 1],
  tools: { chromium: 'Chromium 156', workerd: 'workerd 2026-11-02', autocannon: '9.0.0' },
};

function results(overrides: Partial<BenchResults> = {}): BenchResults {
  return {
    command: 'npm run bench',
    machine,
    totalSeconds: 200,
    settings: {},
    size: {
      ok: true,
      seconds: 0.1,
      value: {
        files: [{ file: 'dist/xcapi.js', raw: 2733, gzip: 1419, gzipCommand: 1432, brotli: 1231 }],
        peers: [
          {
            file: 'node_modules/@plausible-analytics/tracker/plausible.js',
            raw: 6434,
            gzip: 2601,
            brotli: 2301,
            tracker: "Plausible's tracker 0.4.6",
            note: 'the package file',
          },
        ],
        gzipBudget: 1536,
        withinBudget: true,
        published: [...PUBLISHED_TRACKER_SIZES],
      },
    },
    mainThread: { ok: false, seconds: 1, error: 'browserType.launch: no chromium' },
    apiFloor: { ok: false, seconds: 1, error: 'browserType.launch: no chromium' },
    ingest: { ok: false, seconds: 1, error: 'starting wrangler.toml did not finish' },
    crypto: { ok: false, seconds: 1, error: 'signOAuth1 is not exported' },
    delivery: {
      status: 'missing',
      command: 'node bench/delivery.ts 10000',
      reason: 'bench/delivery.ts does not exist',
    },
    upload: { ok: false, seconds: 1, error: 'starting wrangler.toml did not finish' },
    cost: { ok: false, seconds: 1, error: 'starting the metered edge did not finish' },
    ...overrides,
  };
}

function variant(scriptMs: number[], beacons: number): VariantFigures {
  const ms = summarize(scriptMs);
  return {
    evaluationMs: ms,
    scriptDurationMs: ms,
    taskDurationMs: ms,
    loadsThatStoredTwclid: 0,
    loadsThatSentBeacon: beacons,
  };
}

const mainThread: ClientMainThread = {
  loadsPerVariant: 3,
  loadsAsked: 3,
  pageUrl: 'https://shop.example/products/mug?twclid=x',
  xcapi: variant([2.4, 2.5, 2.6], 3),
  minimal: variant([1.4, 1.5, 1.6], 3),
  plausible: variant([3.4, 3.5, 3.6], 3),
  empty: variant([0.4, 0.5, 0.6], 0),
  none: variant([0, 0, 0], 0),
  ownCosts: {
    emptyScript: {
      xcapi: { evaluation: 3, scriptDuration: 2, taskDuration: 2.5 },
      minimal: { evaluation: 1, scriptDuration: 1.6, taskDuration: 1.5 },
      plausible: { evaluation: 4, scriptDuration: 3.2, taskDuration: 3.5 },
    },
    noScript: {
      xcapi: { evaluation: 3.5, scriptDuration: 2.5, taskDuration: 9 },
      minimal: { evaluation: 1.5, scriptDuration: 1.25, taskDuration: 8 },
      plausible: { evaluation: 4.5, scriptDuration: 3.6, taskDuration: 10 },
    },
  },
  xcapiMinusPlausibleScriptMs: -1.1,
  xcapiMinusMinimalScriptMs: 0.45,
};

function probe(api: string, script: string, ownScriptMs: number, needed: boolean): ApiProbeFigures {
  return {
    api,
    script,
    neededByCapture: needed,
    usedByXcapi: true,
    ownScriptMs,
    scriptDurationMs: summarize([ownScriptMs + 0.4]),
    loadsThatStoredTwclid: 0,
    loadsThatSentBeacon: 0,
  };
}

const apiFloor: ApiFloor = {
  loadsPerProbe: 15,
  loadsAsked: 15,
  pageUrl: 'https://shop.example/products/mug?twclid=x',
  emptyScriptDurationMs: summarize([0.4, 0.45]),
  probes: [
    probe('`location.search` + a regex', '/a|b/.exec(location.search);', 0.2, true),
    probe('`navigator.sendBeacon`', "navigator.sendBeacon('/events', '{}');", 0.7, false),
  ],
  captureFloorMs: 1.25,
};

function load(requestsPerSecond: number, cpu: number): LoadFigures {
  return {
    requestsPerSecond,
    responses: requestsPerSecond * 10,
    seconds: 10,
    latencyMs: { p50: 5.5, p90: 7, p99: 12.25, max: 30 },
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    statusCounts: { '202': requestsPerSecond * 10 },
    workerdCpuMsPerRequest: cpu,
  };
}

const ingest: IngestThroughput = {
  connections: 2,
  durationSeconds: 10,
  sliceSeconds: 2,
  rounds: 5,
  warmupSeconds: 2,
  body: '{"event":"purchase"}',
  probe: {
    edge: { status: 202, body: '{"accepted":1}' },
    minimal: { status: 202, body: '{"accepted":1}' },
  },
  edge: load(270, 3.1),
  minimal: load(300, 2.8),
  bare: load(400, 2),
  ratio: 0.9,
  roundRatios: summarize([0.88, 0.9, 0.93]),
  bareRatio: 0.675,
};

describe('renderBenchmarks', () => {
  it('states the machine and the command that produced the figures', () => {
    const markdown = renderBenchmarks(results());
    expect(markdown).toContain('Generated by `npm run bench` on 2026-11-29T00:40:00.000Z');
    expect(markdown).toContain('| CPUs (`nproc`) | 2 |');
    expect(markdown).toContain('| CPU model (`/proc/cpuinfo`) | AMD EPYC |');
    expect(markdown).toContain('| Node | v22.23.3 |');
  });

  it('reports the measured sizes and the budget verdict', () => {
    const markdown = renderBenchmarks(results());
    expect(markdown).toContain('| `dist/xcapi.js` | 2,733 | 1,419 | 1,432 | 1,231 |');
    expect(markdown).toContain('**within budget**');
  });

  it('lists the installed peers as measured, beside the published figures', () => {
    const markdown = renderBenchmarks(results());
    expect(markdown).toContain('**measured here the same way**');
    expect(markdown).toContain(
      "| Plausible's tracker 0.4.6 | `node_modules/@plausible-analytics/tracker/plausible.js` | 6,434 | 2,601 | 2,301 | the package file |",
    );
  });

  it("puts Plausible's tracker beside the script and both baselines, with a ratio over each, labelled", () => {
    const markdown = renderBenchmarks(
      results({ mainThread: { ok: true, seconds: 9, value: mainThread } }),
    );
    expect(markdown).toContain('| `dist/xcapi.js` | 2.50 (p90 2.60) |');
    expect(markdown).toContain("| Plausible's tracker | 3.50 (p90 3.60) |");
    expect(markdown).toContain('| empty script (baseline) | 0.50 (p90 0.60) |');
    expect(markdown).toContain('| empty page, no script at all (baseline) | 0.00 (p90 0.00) |');
    expect(markdown).toContain(
      '**Main-thread JavaScript CPU over an empty page (no script at all), xcapi / Plausible (own costs): 0.69**',
    );
    expect(markdown).toContain(
      '**Main-thread JavaScript CPU over a page with an empty script tag, xcapi / Plausible (own costs): 0.63**',
    );
    expect(markdown).toContain('Per round, xcapi minus Plausible: -1.10 ms');
    expect(markdown).not.toContain('Where the time goes');
  });

  it('puts the minimal capture beside the script, with its ratio and per-round difference', () => {
    const markdown = renderBenchmarks(
      results({ mainThread: { ok: true, seconds: 9, value: mainThread } }),
    );
    expect(markdown).toContain('| minimal correct capture | 1.50 (p90 1.60) |');
    expect(markdown).toContain(
      '- Minimal correct capture: 1.60 ms of main-thread JavaScript CPU time',
    );
    expect(markdown).toContain(
      '- Minimal correct capture: 1.25 ms of main-thread JavaScript CPU time',
    );
    expect(markdown).toContain('xcapi / minimal capture: 2.00.');
    expect(markdown).toContain('xcapi / minimal capture: 1.25.');
    expect(markdown).toContain('xcapi minus the minimal\ncapture: 0.45 ms (median)');
    expect(markdown).toContain('### First use of each Web API');
    expect(markdown).toContain('**Not measured in this run:** browserType.launch: no chromium');
  });

  it('lists the first use of each Web API with the floor they add up to', () => {
    const markdown = renderBenchmarks(
      results({
        mainThread: { ok: true, seconds: 9, value: mainThread },
        apiFloor: { ok: true, seconds: 80, value: apiFloor },
      }),
    );
    const part = markdown.slice(markdown.indexOf('### First use of each Web API'));
    expect(part).toContain('`node bench/client-api-floor.ts --loads 15`');
    expect(part).toContain('15 loads per probe (15 asked)');
    expect(part).toContain('the least any script doing this job pays on this page');
    // A pipe in a probe would end the table cell: it is escaped.
    expect(part).toContain(
      '| `location.search` + a regex | `/a\\|b/.exec(location.search);` | 0.20 | yes | yes | 0/15 | 0/15 |',
    );
    expect(part).toContain(
      "| `navigator.sendBeacon` | `navigator.sendBeacon('/events', '{}');` | 0.70 | no | yes |",
    );
    expect(part).toContain('1.25 ms** of main-thread JavaScript CPU');
    expect(part).toContain(
      'The minimal capture, measured above as a whole (over a page with an empty script tag, as the probes are): 1.60 ms.',
    );
  });

  it('shows the profile summaries when the run profiled', () => {
    const profile = {
      loads: 2,
      samplingIntervalMicros: 50,
      scriptSelfMsPerLoad: 1.5,
      top: [
        {
          functionName: 'track',
          location: 'https://shop.example/xcapi.js:1:20',
          selfMsPerLoad: 0.75,
        },
      ],
    };
    const markdown = renderBenchmarks(
      results({
        mainThread: {
          ok: true,
          seconds: 9,
          value: { ...mainThread, profiles: { xcapi: profile, plausible: profile } },
        },
      }),
    );
    expect(markdown).toContain('Where the time goes');
    expect(markdown).toContain('| `track` | `https://shop.example/xcapi.js:1:20` | 0.75 |');
  });

  it('puts the minimal ingest beside the edge, with CPU per request and the ratio', () => {
    const markdown = renderBenchmarks(
      results({ ingest: { ok: true, seconds: 40, value: ingest } }),
    );
    expect(markdown).toContain(
      '| edge (`POST /events`) | 270 | 2,700 | 5.5 | 7.0 | 12.3 | 3.10 | 0 | 0 | 202: 2,700 |',
    );
    expect(markdown).toContain('| minimal ingest | 300 | 3,000 |');
    expect(markdown).toContain('| bare (202 only) | 400 | 4,000 |');
    expect(markdown).toContain('**Ratio edge / minimal ingest: 0.90**');
    expect(markdown).toContain('per round: median\n0.90, from 0.88 to 0.93');
    expect(markdown).toContain('Edge / bare: 0.68');
  });

  it("takes the core count, autocannon's version and Chromium's flags from the run, not the text", () => {
    const markdown = renderBenchmarks(
      results({
        machine: { ...machine, cpus: 8, tools: { ...machine.tools, autocannon: '9.1.0' } },
        mainThread: { ok: true, seconds: 9, value: mainThread },
        ingest: { ok: true, seconds: 40, value: ingest },
      }),
    );
    expect(markdown).toContain('on a shared 8-core machine');
    expect(markdown).toContain('Load: autocannon `9.1.0`');
    expect(markdown).toContain('the machine has 8 cores, shared by autocannon and workerd');
    expect(markdown).toContain('sharing 8 cores with the load generator');
    expect(markdown).not.toMatch(/2-core|2 cores|9\.0\.0/);
    expect(markdown).toContain(
      `(\`${[...CHROMIUM_ARGS, ...LANDING_EXTRA_ARGS].join(' ')}\`; the last keeps`,
    );
    expect(markdown).toContain('--disable-blink-features=AutomationControlled`; the last keeps');
  });

  it('closes with both ratios against real peers and the commands that give them', () => {
    const markdown = renderBenchmarks(
      results({
        mainThread: { ok: true, seconds: 9, value: mainThread },
        ingest: { ok: true, seconds: 40, value: ingest },
      }),
    );
    const note = markdown.slice(markdown.indexOf('## Against real peers, in one run'));
    expect(note).toContain(
      'own costs over an empty page (no script at all): **0.69** (2.50 ms\n  against 3.60 ms)',
    );
    expect(note).toContain(
      'own costs over a page with an empty script tag: **0.63** (2.00 ms\n  against 3.20 ms)',
    );
    expect(note).toContain('`node bench/client-main-thread.ts --loads 50`');
    expect(note).toContain(
      'the minimal correct capture (same run, same measure, over an empty page (no script at all)): **2.00**',
    );
    expect(note).toContain('(2.50 ms against 1.25 ms)');
    expect(note).toContain('over the minimal ingest: **0.90**');
    expect(note).toContain('3.10 ms against\n  2.80 ms');
    expect(note).toContain('`node bench/ingest-throughput.ts --seconds 10`');
  });

  it("gives workerd's CPU per call beside the wall figure, n/a when it could not be read", () => {
    const op = {
      description: 'the whole POST /events',
      nodeMicros: summarize([500]),
      nodeBatchSize: 50,
      workerdMicros: 700,
      workerdIterations: 400,
      workerdRequests: 7,
    };
    const markdown = renderBenchmarks(
      results({
        crypto: {
          ok: true,
          seconds: 30,
          value: {
            runtime: { node: 'v22', workerd: 'local' },
            ops: [
              { ...op, op: 'ingestBeacon', workerdCpuMicros: 436.7 },
              { ...op, op: 'minimalIngestBeacon' },
            ],
          },
        },
      }),
    );
    expect(markdown).toContain(
      '| `ingestBeacon` | 500.0 (p90 500.0) [batches of 50] | 700.0 [N = 400, 7 + 7 requests] | 436.7 | the whole POST /events |',
    );
    expect(markdown).toContain(
      '| `minimalIngestBeacon` | 500.0 (p90 500.0) [batches of 50] | 700.0 [N = 400, 7 + 7 requests] | n/a |',
    );
  });

  it('says when the script is over budget', () => {
    const over = results();
    if (!over.size.ok) throw new Error('fixture');
    over.size.value.withinBudget = false;
    expect(renderBenchmarks(over)).toContain('**OVER BUDGET**');
  });

  it('labels other trackers as published figures with their source, not as measurements', () => {
    const markdown = renderBenchmarks(results());
    expect(markdown).toContain('**published figures, not measured here**');
    for (const published of PUBLISHED_TRACKER_SIZES) {
      expect(markdown).toContain(
        `| ${published.tracker} | ${published.figure} | ${published.source} |`,
      );
    }
  });

  it('reports a part that failed as not measured, with the reason, and no figure', () => {
    const markdown = renderBenchmarks(results());
    expect(markdown).toContain(
      '**Not measured in this run:** starting wrangler.toml did not finish',
    );
    expect(markdown).toContain('**Not measured in this run:** browserType.launch: no chromium');
    expect(markdown).toContain('**Not measured in this run:** signOAuth1 is not exported');
    expect(markdown).not.toContain('Ratio edge / minimal');
    expect(markdown).toContain(
      '- Edge ingest against the minimal ingest: not measured in this run',
    );
  });

  it('records a missing delivery benchmark instead of failing', () => {
    expect(renderBenchmarks(results())).toContain(
      '**Not measured in this run:** missing: bench/delivery.ts does not exist',
    );
  });

  it('reports delivery figures, saying which phase did not finish within its wait', () => {
    const phase = {
      conversions: 10_000,
      accepted: 10_000,
      delivered: 10_000,
      duplicates: 0,
      xRequests: 100,
      xRequestsPer10k: 100,
      meanConversionsPerRequest: 100,
      answers: { '200': 100 },
      secondsTo99: 20.5,
      secondsToDeliverAll: 25,
    };
    const markdown = renderBenchmarks(
      results({
        delivery: {
          status: 'measured',
          command: 'BENCH_DELIVERY_LIMIT_SECONDS=60 node bench/delivery.ts 10000',
          seconds: 150,
          phaseLimitSeconds: 60,
          report: {
            conversionsPerPhase: 10_000,
            steady: phase,
            faults: { ...phase, delivered: 9_990, completeness: 0.999, secondsToDeliverAll: null },
            recovery: [],
          },
          summary: 'delivery: 100 X requests per 10,000 conversions',
        },
      }),
    );
    expect(markdown).toContain(
      '| steady | 10,000 | 10,000 | 10,000 | 0 | 100 | 100 | 100.0 | - | 20.5 | 25.0 |',
    );
    expect(markdown).toContain(
      '| 30 % 503 + 5 % 429 | 10,000 | 10,000 | 9,990 | 0 | 100 | 100 | 100.0 | 99.90 % | 20.5 | not within 60 s |',
    );
  });

  it('reports the upload figures, or why there are none', () => {
    expect(renderBenchmarks(results())).toMatch(
      /## 6\. CSV upload[\s\S]*\*\*Not measured in this run:\*\* starting wrangler\.toml did not finish/,
    );
    const run = {
      rows: 10_000,
      wallSeconds: 12.5,
      rowsPerSecond: 800,
      peakRssMb: 131.4,
      exitCode: 0,
      summary: { sent: 10_000, rejected: 0, valid: 0, seconds: 11 },
    };
    const markdown = renderBenchmarks(
      results({
        upload: {
          ok: true,
          seconds: 40,
          value: {
            throughput: { ...run, command: 'x-capi-edge upload FILE --rate 0 (10,000 rows)' },
            memory: { ...run, rows: 100_000, rowsPerSecond: 5000, command: 'dry run' },
          },
        },
      }),
    );
    expect(markdown).toContain(
      '| `x-capi-edge upload FILE --rate 0 (10,000 rows)` | 10,000 | 12.5 | 800 | 131 | 0 |',
    );
    expect(markdown).toContain('| `dry run` | 100,000 | 12.5 | 5,000 | 131 | 0 |');
  });
});
