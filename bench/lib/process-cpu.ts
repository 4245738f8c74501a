/**
 * @module
 * CPU time of the workerd processes a benchmark started, read from Linux's
 * `/proc/<pid>/stat` (user + system time, in clock ticks). The ingest bench
 * divides it by the requests served to get CPU per beacon in workerd.
 * Elsewhere than Linux the figures are simply absent.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** `getconf CLK_TCK` on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  pid: number;
  command: string;
  parent: number;
  cpuTicks: number;
}

function statOf(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command sits in parentheses and may hold spaces: split after its last ')'.
    const close = text.lastIndexOf(')');
    const command = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // After the command: state(3) ppid(4) ... utime(14) stime(15), 1-based in proc(5).
    return {
      pid,
      command,
      parent: Number(fields[1]),
      cpuTicks: Number(fields[11]) + Number(fields[12]),
    };
  } catch {
    return undefined;
  }
}

/** This process's workerd children (each local Worker starts its own). */
export function workerdChildren(): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries
    .filter((name) => /^\d+$/.test(name))
    .map((name) => statOf(Number(name)))
    .filter(
      (stat): stat is ProcStat =>
        stat !== undefined && stat.parent === process.pid && stat.command === 'workerd',
    )
    .map((stat) => stat.pid);
}

/**
 * CPU milliseconds the processes have used so far, or undefined when one
 * cannot be read (not Linux, or it has exited).
 */
export function cpuMs(pids: readonly number[]): number | undefined {
  if (pids.length === 0) return undefined;
  let ticks = 0;
  for (const pid of pids) {
    const stat = statOf(pid);
    if (!stat) return undefined;
    ticks += stat.cpuTicks;
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}
