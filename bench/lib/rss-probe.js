// Loaded into a CLI child with `node --import <this file>` by the memory benchmark: every 5 ms it
// samples the process's resident set size and, where /proc exists, the kernel's high-water mark
// of it (VmHWM: the true peak, short spikes included); at exit it writes the samples and the
// peak as JSON to the file named by BENCH_RSS_OUT. Not process.resourceUsage().maxRSS: on Linux
// it also counts the parent's memory, which the child shared between fork and exec.
import { readFileSync, writeFileSync } from 'node:fs';

/** The high-water mark in bytes, or undefined without /proc. */
function highWaterMark() {
  try {
    const kib = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

const out = process.env.BENCH_RSS_OUT;
if (out) {
  /** @type {[number, number, number][]} [Date.now(), rss bytes, peak so far in bytes] */
  const samples = [];
  let peak = 0;
  const sample = () => {
    const rss = process.memoryUsage.rss();
    peak = Math.max(peak, highWaterMark() ?? rss);
    samples.push([Date.now(), rss, peak]);
  };
  setInterval(sample, 5).unref();
  process.on('exit', () => {
    sample();
    // With --expose-gc: what the heap still holds after a full collection (a leak would show here).
    const collect = /** @type {(() => void) | undefined} */ (globalThis.gc);
    collect?.();
    const liveHeapBytes = collect ? process.memoryUsage().heapUsed : undefined;
    writeFileSync(out, JSON.stringify({ peakBytes: peak, samples, liveHeapBytes }));
  });
}
