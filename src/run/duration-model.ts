/**
 * How long tasks take, by kind (provider, parameters, input size): learned from the tasks of this
 * run as they finish, and from durations remembered across runs (a small stats file beside the
 * config, no key in it). It says when a task is likely done, so polls land near that time instead
 * of on a fixed beat, and how likely a poll is to find a task done, so the budget goes to those.
 */
import { readFile } from 'node:fs/promises';
import { writeAtomically } from '../fs/atomic-file.js';
import type { ParamValues, Provider } from '../providers/types.js';

/** Durations kept per kind: the most recent ones, enough for quantiles. */
const KEEP = 40;
/** Fewer samples than this: no prediction (the quick schedule applies). */
const MIN_SAMPLES = 3;
/** Quantiles polled at, one after the other; then the largest duration seen, then the quick beat. */
const PROBES = [0.5, 0.8, 0.95] as const;

/**
 * One kind of task: what makes tasks take like times — the provider, the factor it says the
 * parameters ask for (or its output tag, e.g. Novita's `4k`, when it knows no factor) and the
 * input's size.
 */
export function kindOf<P extends ParamValues>(
  provider: Pick<Provider<P>, 'id' | 'scaleOf' | 'outputTag'>,
  params: P,
  megapixels?: number,
) {
  const scale = provider.scaleOf(params) ?? provider.outputTag(params);
  // Input sizes in doubling buckets: 0.25–0.5 MP, 0.5–1 MP, …
  const bucket =
    megapixels === undefined || megapixels <= 0 ? '?' : String(Math.round(Math.log2(megapixels)));
  return `${provider.id}|${scale}|${bucket}`;
}

export class DurationModel {
  private readonly samples = new Map<string, number[]>();
  private dirty = false;

  constructor(private readonly file?: string) {}

  /** Loads the durations remembered by earlier runs (a missing or broken file is an empty one). */
  async load(): Promise<void> {
    if (!this.file) return;
    try {
      const stored = JSON.parse(await readFile(this.file, 'utf8')) as Record<string, unknown>;
      for (const [kind, list] of Object.entries(stored)) {
        if (Array.isArray(list))
          this.samples.set(kind, list.filter((n) => typeof n === 'number' && n > 0).slice(-KEEP));
      }
    } catch {
      // First run, or a file from elsewhere: start from nothing.
    }
  }

  /** Writes what this run learned back (best effort). */
  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    const data = Object.fromEntries(this.samples);
    await writeAtomically(this.file, `${JSON.stringify(data)}\n`).catch(() => undefined);
  }

  /** A task of `kind` was seen running at `runningMs` and done at `doneMs` (ages since its submit). */
  observe(kind: string, runningMs: number, doneMs: number): void {
    const list = this.samples.get(kind) ?? [];
    list.push(Math.round((runningMs + doneMs) / 2));
    if (list.length > KEEP) list.shift();
    this.samples.set(kind, list);
    this.dirty = true;
  }

  private sorted(kind: string): number[] | undefined {
    const list = this.samples.get(kind);
    return list && list.length >= MIN_SAMPLES ? [...list].sort((a, b) => a - b) : undefined;
  }

  /** How likely a task of `kind` aged `ageMs` is done; undefined while too little is known. */
  probabilityDone(kind: string, ageMs: number): number | undefined {
    const sorted = this.sorted(kind);
    if (!sorted) return undefined;
    let below = 0;
    for (const d of sorted) if (d <= ageMs) below++;
    return below / sorted.length;
  }

  /** The next age after `ageMs` worth a poll: the next quantile, then the longest seen. */
  nextProbe(kind: string, ageMs: number): number | undefined {
    const sorted = this.sorted(kind);
    if (!sorted) return undefined;
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    for (const q of PROBES) if (at(q) > ageMs) return at(q);
    const longest = sorted[sorted.length - 1]!;
    return longest > ageMs ? longest : undefined;
  }
}
