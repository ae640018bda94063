// Loaded into a CLI child with `node --import <this file>` by the memory benchmark: samples the
// process's resident set size every 20 ms and, at exit, writes the samples and the peak as JSON
// to the file named by BENCH_RSS_OUT. The peak is the kernel's high-water mark (VmHWM) where
// /proc exists, else the largest sample. Not process.resourceUsage().maxRSS: on Linux it also
// counts the parent's memory, which the child shared between fork and exec.
import { readFileSync, writeFileSync } from 'node:fs';

const out = process.env.BENCH_RSS_OUT;
if (out) {
  /** @type {[number, number][]} [Date.now(), rss bytes] */
  const samples = [];
  const sample = () => samples.push([Date.now(), process.memoryUsage.rss()]);
  setInterval(sample, 20).unref();
  const highWaterMark = () => {
    try {
      const kib = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
      return kib === undefined ? undefined : Number(kib) * 1024;
    } catch {
      return undefined;
    }
  };
  process.on('exit', () => {
    sample();
    const peakBytes = highWaterMark() ?? Math.max(...samples.map(([, rss]) => rss));
    writeFileSync(out, JSON.stringify({ peakBytes, samples }));
  });
}
