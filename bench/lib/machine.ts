/**
 * @module
 * Describes the machine a benchmark ran on, so every figure in BENCHMARKS.md
 * can be read (and reproduced) against the hardware and versions behind it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

export interface MachineInfo {
  /** ISO time the run started. */
  date: string;
  /** Logical CPUs available to this process (what `nproc` prints). */
  cpus: number;
  /** `model name` from /proc/cpuinfo. */
  cpuModel: string;
  node: string;
  platform: string;
  /** 1, 5 and 15 minute load averages when the run started (other work on the machine). */
  loadAverage: number[];
  /** Each tool's `--version` line, or why it could not be read. */
  tools: Record<string, string>;
}

function firstLine(command: string, args: string[]): string {
  try {
    return (
      execFileSync(command, args, {
        encoding: 'utf8',
        timeout: 15_000,
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .trim()
        .split('\n')[0] ?? ''
    );
  } catch (error) {
    return `unavailable (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  }
}

function packageVersion(name: string): string {
  try {
    const manifest = JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8'));
    return String(manifest.version);
  } catch {
    return 'not installed';
  }
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return match?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown (no /proc/cpuinfo)';
  }
}

/**
 * What this run measured on: CPU count and model, Node, and the versions of
 * the public tools the figures depend on.
 *
 * @example
 * const machine = describeMachine();
 * console.log(`${machine.cpus} x ${machine.cpuModel}, node ${machine.node}`);
 */
export function describeMachine(): MachineInfo {
  return {
    date: new Date().toISOString(),
    cpus: Number.parseInt(firstLine('nproc', []), 10) || availableParallelism(),
    cpuModel: cpuModel(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
    tools: {
      chromium: firstLine('/usr/bin/chromium', ['--version']),
      workerd: firstLine('node_modules/.bin/workerd', ['--version']),
      wrangler: firstLine('node_modules/.bin/wrangler', ['--version']),
      autocannon: packageVersion('autocannon'),
      'playwright-core': packageVersion('playwright-core'),
    },
  };
}
