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

/** Where a CI keeps a parallel job's index and count; `base` is the first index's value. */
const CI_SHARDS = [
  { name: 'GitLab', index: 'CI_NODE_INDEX', count: 'CI_NODE_TOTAL', base: 1 },
  { name: 'CircleCI', index: 'CIRCLE_NODE_INDEX', count: 'CIRCLE_NODE_TOTAL', base: 0 },
  { name: 'Buildkite', index: 'BUILDKITE_PARALLEL_JOB', count: 'BUILDKITE_PARALLEL_JOB_COUNT', base: 0 },
] as const;

export type ShardFromEnv = { shard: Shard; source: string } | { error: string };

/**
 * `--shard auto`: this job's index and count from the CI that runs it. Kubernetes Indexed Jobs
 * give only the index (`JOB_COMPLETION_INDEX`, 0-based): the count comes from `--shard auto/<n>`.
 * GitHub Actions has no such variables: a matrix passes `--shard ${{ matrix.i }}/n`.
 */
export function shardFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  count?: number,
): ShardFromEnv {
  const whole = (v: string | undefined) =>
    v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : undefined;
  for (const ci of CI_SHARDS) {
    const index = whole(env[ci.index]);
    const total = whole(env[ci.count]);
    if (index === undefined || total === undefined) continue;
    const shard = { index: index - ci.base + 1, count: total };
    if (shard.count < 1 || shard.index < 1 || shard.index > shard.count)
      return {
        error: `${ci.index}=${env[ci.index]} and ${ci.count}=${env[ci.count]} (${ci.name}) are not a job of a split`,
      };
    return { shard, source: `${ci.name} ${ci.index}/${ci.count}` };
  }
  const k8s = whole(env.JOB_COMPLETION_INDEX);
  if (k8s !== undefined) {
    if (count === undefined)
      return {
        error:
          'JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) gives no count: pass --shard auto/<completions>',
      };
    if (k8s >= count) return { error: `JOB_COMPLETION_INDEX=${k8s} is not below the count ${count}` };
    return { shard: { index: k8s + 1, count }, source: 'Kubernetes JOB_COMPLETION_INDEX' };
  }
  return {
    error:
      'no CI split found (GitLab CI_NODE_INDEX, CircleCI CIRCLE_NODE_INDEX, Buildkite BUILDKITE_PARALLEL_JOB, Kubernetes JOB_COMPLETION_INDEX)',
  };
}
