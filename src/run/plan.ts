/**
 * From expanded inputs to the items of a run: pick this shard, give each its output target,
 * drop files that are this run's own outputs (a re-run over the same folder must not upscale
 * its results), and refuse two inputs that would write the same output — before sending anything.
 */

import { basename, dirname, extname, join } from 'node:path';
import { UpscaleError } from '../errors.js';
import type { ExpandedInput } from './inputs.js';
import { type NamingOptions, outputTarget, targetKey } from './naming.js';
import type { InputItem } from './run-task.js';
import { inShard, type Shard, shardOf } from './shard.js';

export interface PlanOptions extends NamingOptions {
  readonly shard?: Shard | undefined;
}

const shardKey = (input: ExpandedInput) => input.input.split('\\').join('/');

/** How many of `inputs` each shard of a `count`-way split takes (every shard sees the whole list). */
export function shardSizes(inputs: readonly ExpandedInput[], count: number): number[] {
  const sizes = new Array<number>(count).fill(0);
  for (const input of inputs) sizes[shardOf(shardKey(input), count) - 1]!++;
  return sizes;
}

export function planItems(inputs: readonly ExpandedInput[], options: PlanOptions): InputItem[] {
  const sharded = options.shard ? inputs.filter((i) => inShard(shardKey(i), options.shard!)) : inputs;
  const items = sharded.map((i) => ({
    input: i.input,
    kind: i.kind,
    target: outputTarget(i.input, options, i.root),
    discovered: i.discovered,
  }));

  // A found file whose name is another input's output is a result of an earlier run.
  const outputs = new Set(items.map((i) => targetKey(i.target)));
  const kept = items.filter(
    (i) =>
      !(
        i.discovered &&
        i.kind === 'file' &&
        outputs.has(join(dirname(i.input), basename(i.input, extname(i.input))).toLowerCase())
      ),
  );

  const owners = new Map<string, string>();
  for (const item of kept) {
    const key = targetKey(item.target);
    const other = owners.get(key);
    if (other !== undefined) {
      throw new UpscaleError(
        'OUTPUT_CLASH',
        `${other} and ${item.input} would both write ${item.target.fixed?.path ?? join(item.target.dir, `${item.target.stem}.*`)}`,
        {
          hint: 'use --name "{name}-{inext}@{scale}" or separate -o folders so every output name is unique',
        },
      );
    }
    owners.set(key, item.input);
  }
  return kept.map(({ input, kind, target }) => ({ input, kind, target }));
}
