/**
 * `--shard i/n`: a stable 1/n of the inputs, chosen by a hash of the input's path (not by the
 * order it was found in), so n CI jobs split a folder without talking to each other.
 */
import { createHash } from 'node:crypto';

export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Parses `i/n` with 1 ≤ i ≤ n; undefined for anything else. */
export function parseShard(text: string): Shard | undefined {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) return undefined;
  const index = Number(match[1]);
  const count = Number(match[2]);
  return count >= 1 && index >= 1 && index <= count ? { index, count } : undefined;
}

/** True when `key` (a path with forward slashes, or a URL) belongs to shard `index` of `count`. */
export function inShard(key: string, shard: Shard): boolean {
  const digest = createHash('sha1').update(key).digest();
  return digest.readUInt32BE(0) % shard.count === shard.index - 1;
}
