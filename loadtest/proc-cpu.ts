/** CPU time of local processes from /proc (Linux), for benchmarks that run the SFU on this machine. */
import fs from 'node:fs';

/** Kernel clock ticks per second (USER_HZ), 100 on Linux. */
const TICKS_PER_SECOND = 100;

function stat(pid: number): string[] | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds of one process, or undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  const f = stat(pid);
  return f ? (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND : undefined;
}

/** Direct children of a process, with their command names. */
export function childrenOf(pid: number): Array<{ pid: number; name: string }> {
  const out: Array<{ pid: number; name: string }> = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = stat(Number(entry));
    if (f && Number(f[1]) === pid) {
      const name = fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      out.push({ pid: Number(entry), name });
    }
  }
  return out;
}

/** Sums CPU seconds over a fixed set of processes; rate() gives percent of one core between two readings. */
export class CpuMeter {
  private last?: { at: number; seconds: number };

  constructor(private readonly pids: () => number[]) {}

  read(): { at: number; seconds: number } {
    return { at: performance.now(), seconds: this.pids().reduce((n, pid) => n + (cpuSeconds(pid) ?? 0), 0) };
  }

  /** Percent of one core since the previous call (undefined on the first). */
  rate(): number | undefined {
    const now = this.read();
    const before = this.last;
    this.last = now;
    if (!before || now.at <= before.at) return undefined;
    return ((now.seconds - before.seconds) / ((now.at - before.at) / 1000)) * 100;
  }
}
