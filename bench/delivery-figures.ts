/**
 * @module
 * Runs the delivery benchmark (bench/delivery.ts, written with the durable
 * queue delivery) in a child process and reads the JSON line it prints. Its
 * absence, failure or timeout is a result to report, never a crash: the other
 * figures stand on their own.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export const DELIVERY_SCRIPT = 'bench/delivery.ts';

/** One phase of bench/delivery.ts, as it prints it (bench/delivery.ts builds it with this type). */
export interface DeliveryPhase {
  conversions: number;
  accepted: number;
  delivered: number;
  duplicates: number;
  xRequests: number;
  xRequestsPer10k: number;
  meanConversionsPerRequest: number;
  answers: Record<string, number>;
  /** Seconds from the first POST until 99 % / 99.9 % of accepted conversions reached X. */
  secondsTo99?: number | null;
  secondsTo999?: number | null;
  secondsToDeliverAll: number | null;
  completeness?: number;
}

/** Recovery after X refused our credentials (401) or failed every request (503). */
export interface RecoveryPhase {
  cause: 'revoked' | 'outage';
  conversions: number;
  accepted: number;
  /** How long X refused or failed before it accepted again. */
  failingSeconds: number;
  delivered: number;
  duplicates: number;
  /** Seconds from "X accepts again" to the last waiting conversion delivered. */
  secondsToLastDelivered: number | null;
}

export interface DeliveryReport {
  conversionsPerPhase: number;
  steady: DeliveryPhase;
  faults: DeliveryPhase;
  recovery: RecoveryPhase[];
}

export type DeliveryOutcome =
  | {
      status: 'measured';
      command: string;
      seconds: number;
      /** How long each phase waited at most for the last conversions. */
      phaseLimitSeconds: number;
      report: DeliveryReport;
      summary: string;
    }
  | { status: 'missing' | 'failed'; command: string; reason: string };

function isPhase(value: unknown): value is DeliveryPhase {
  if (typeof value !== 'object' || value === null) return false;
  const phase = value as Record<string, unknown>;
  return [
    'conversions',
    'accepted',
    'delivered',
    'duplicates',
    'xRequests',
    'xRequestsPer10k',
  ].every((key) => typeof phase[key] === 'number');
}

function isRecovery(value: unknown): value is RecoveryPhase {
  if (typeof value !== 'object' || value === null) return false;
  const phase = value as Record<string, unknown>;
  return (
    (phase.cause === 'revoked' || phase.cause === 'outage') &&
    ['conversions', 'accepted', 'delivered', 'duplicates', 'failingSeconds'].every(
      (key) => typeof phase[key] === 'number',
    )
  );
}

/**
 * The delivery report in a line of output, if that line is one.
 *
 * @example
 * parseDeliveryLine('not json'); // undefined
 */
export function parseDeliveryLine(line: string): DeliveryReport | undefined {
  if (!line.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const report = parsed as Record<string, unknown>;
  if (report.bench !== 'delivery' || !isPhase(report.steady) || !isPhase(report.faults)) {
    return undefined;
  }
  if (!Array.isArray(report.recovery)) return undefined;
  return {
    conversionsPerPhase: Number(report.conversionsPerPhase),
    steady: report.steady,
    faults: report.faults,
    recovery: (report.recovery as unknown[]).filter(isRecovery),
  };
}

/**
 * The per-phase wait for bench/delivery.ts inside `timeoutMs`: the faults
 * phase's retry tail is what needs the time (the steady phase delivers in
 * seconds), so it gets everything but 40 s for start-up, the steady phase and
 * the 3 s straggler pauses. If the steady phase ever needed its whole wait
 * too, the child is stopped at `timeoutMs` and the part reports a timeout.
 */
export function deliveryPhaseLimitSeconds(timeoutMs: number): number {
  return Math.max(10, Math.floor(timeoutMs / 1000 - 40));
}

/**
 * Runs `node bench/delivery.ts [conversions]` with a time limit. Each of its
 * two phases waits for the last conversions at most
 * `BENCH_DELIVERY_LIMIT_SECONDS` (see `deliveryPhaseLimitSeconds`), so it
 * prints what it got by then instead of being killed.
 *
 * @example
 * const outcome = await runDeliveryBench({ conversions: 10_000, timeoutMs: 150_000 });
 * if (outcome.status === 'measured') console.log(outcome.report.steady.xRequestsPer10k);
 */
export function runDeliveryBench({
  conversions,
  timeoutMs,
}: {
  conversions: number;
  timeoutMs: number;
}): Promise<DeliveryOutcome> {
  const args = [DELIVERY_SCRIPT, String(conversions)];
  const phaseLimitSeconds = deliveryPhaseLimitSeconds(timeoutMs);
  const command = `BENCH_DELIVERY_LIMIT_SECONDS=${phaseLimitSeconds} node ${args.join(' ')}`;
  if (!existsSync(DELIVERY_SCRIPT)) {
    return Promise.resolve({
      status: 'missing',
      command,
      reason: `${DELIVERY_SCRIPT} does not exist`,
    });
  }
  const started = performance.now();
  return new Promise((resolve) => {
    // Its own process group, so a timeout also ends the workerd processes it started.
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BENCH_DELIVERY_LIMIT_SECONDS: String(phaseLimitSeconds) },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    let timedOut = false;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 5_000).unref();
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = stdout.split('\n').map((line) => line.trim());
      const report = lines.map(parseDeliveryLine).find((r) => r !== undefined);
      if (report) {
        const summary = lines.find((line) => line.startsWith('delivery:')) ?? '';
        const seconds = (performance.now() - started) / 1000;
        resolve({ status: 'measured', command, seconds, phaseLimitSeconds, report, summary });
        return;
      }
      const why = timedOut
        ? `timed out after ${timeoutMs / 1000} s`
        : `exited with ${code ?? signal} and printed no delivery JSON line`;
      const tail = `${stderr}\n${stdout}`.trim().split('\n').slice(-5).join(' | ').slice(0, 600);
      resolve({ status: 'failed', command, reason: tail ? `${why}: ${tail}` : why });
    });
  });
}
