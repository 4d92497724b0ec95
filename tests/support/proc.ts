// What Linux's /proc says of a running process: its resident memory and the CPU time it used,
// and how far its memory rose while something ran (the end-to-end tests' and the benchmark's
// one reading of it).

import { readFileSync } from "node:fs";

/** VmRSS, in KiB. */
export function rssKiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
}

/** User and system CPU time, in milliseconds (clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The process's RSS before `during`, and its peak while `during` ran (read every 50 ms), KiB. */
export async function rssPeak(
  pid: number,
  during: () => Promise<void>,
): Promise<{ baseline: number; peak: number }> {
  const baseline = rssKiB(pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(pid))), 50);
  try {
    await during();
  } finally {
    clearInterval(sampler);
  }
  return { baseline, peak };
}
