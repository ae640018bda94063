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

/** The shard (1…count) that `key` (a path with forward slashes, or a URL) belongs to. */
export function shardOf(key: string, count: number): number {
  return (createHash('sha1').update(key).digest().readUInt32BE(0) % count) + 1;
}

/** True when `key` belongs to shard `index` of `count`. */
export function inShard(key: string, shard: Shard): boolean {
  return shardOf(key, shard.count) === shard.index;
}

/** Where a CI or batch engine keeps a parallel job's index and count. */
interface CiShard {
  readonly name: string;
  readonly index: string;
  /** The variable with the number of jobs; undefined when only `--shard auto/<n>` can tell. */
  readonly count?: string;
  /** The first job's index: 0 or 1. */
  readonly base: 0 | 1;
  /** What `n` of `--shard auto/<n>` is called there, when the engine may give no count. */
  readonly countIs?: string;
}

/**
 * Checked in this order; the first whose index variable is set wins. What each engine documents:
 * - GitLab `parallel:`: CI_NODE_INDEX 1…CI_NODE_TOTAL.
 * - CircleCI `parallelism`: CIRCLE_NODE_INDEX 0…CIRCLE_NODE_TOTAL-1.
 * - Buildkite `parallelism`: BUILDKITE_PARALLEL_JOB 0…BUILDKITE_PARALLEL_JOB_COUNT-1.
 * - Cloud Run Jobs: CLOUD_RUN_TASK_INDEX, "starts at 0" for the first task, and
 *   CLOUD_RUN_TASK_COUNT, the job's `--tasks` (cloud.google.com/run/docs/container-contract,
 *   "Environment variables for jobs"; cloud.google.com/run/docs/create-jobs).
 * - Google Batch: BATCH_TASK_INDEX, 0 for the first task of the task group, and BATCH_TASK_COUNT,
 *   the group's taskCount (cloud.google.com/batch/docs/create-run-job-environment-variables,
 *   "predefined environment variables"; Google's own samples print "This is task
 *   ${BATCH_TASK_INDEX}. This job has a total of ${BATCH_TASK_COUNT} tasks").
 * - AWS Batch array jobs: AWS_BATCH_JOB_ARRAY_INDEX "begins at 0 … an array job with 10 children
 *   has index values of 0-9" (docs.aws.amazon.com/batch/latest/userguide/job_env_vars.html).
 *   The same page now lists AWS_BATCH_JOB_ARRAY_SIZE, which older pages and agents lack (it was a
 *   roadmap request, aws/containers-roadmap#1631): taken when set, else the count comes from
 *   `--shard auto/<n>`.
 * - Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX 0…completions-1 and no count variable.
 * AWS Batch comes before Kubernetes: an AWS Batch job on EKS runs as a pod.
 */
const CI_SHARDS: readonly CiShard[] = [
  { name: 'GitLab', index: 'CI_NODE_INDEX', count: 'CI_NODE_TOTAL', base: 1 },
  { name: 'CircleCI', index: 'CIRCLE_NODE_INDEX', count: 'CIRCLE_NODE_TOTAL', base: 0 },
  { name: 'Buildkite', index: 'BUILDKITE_PARALLEL_JOB', count: 'BUILDKITE_PARALLEL_JOB_COUNT', base: 0 },
  { name: 'Cloud Run Jobs', index: 'CLOUD_RUN_TASK_INDEX', count: 'CLOUD_RUN_TASK_COUNT', base: 0 },
  { name: 'Google Batch', index: 'BATCH_TASK_INDEX', count: 'BATCH_TASK_COUNT', base: 0 },
  {
    name: 'AWS Batch',
    index: 'AWS_BATCH_JOB_ARRAY_INDEX',
    count: 'AWS_BATCH_JOB_ARRAY_SIZE',
    base: 0,
    countIs: 'the array size',
  },
  { name: 'Kubernetes', index: 'JOB_COMPLETION_INDEX', base: 0, countIs: "the Job's completions" },
];

/** The CIs and engines `--shard auto` knows, by name, for messages and `--help`. */
export const SHARD_AUTO_SOURCES: readonly string[] = CI_SHARDS.map((ci) => ci.name);

export type ShardFromEnv = { shard: Shard; source: string } | { error: string };

/**
 * `--shard auto` (`count` undefined) or `--shard auto/<n>` (`count` n): this job's index and
 * count from the CI or batch engine that runs it (see CI_SHARDS). Where the engine gives no count
 * (Kubernetes, AWS Batch without AWS_BATCH_JOB_ARRAY_SIZE) it comes from `auto/<n>`; where both
 * say, they must agree. GitHub Actions has no such variables: a matrix passes
 * `--shard ${{ matrix.i }}/n`.
 */
export function shardFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  count?: number,
): ShardFromEnv {
  const set = (name: string | undefined) => {
    const value = name === undefined ? undefined : env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const whole = (v: string) => (/^\d+$/.test(v) ? Number(v) : undefined);
  for (const ci of CI_SHARDS) {
    const rawIndex = set(ci.index);
    if (rawIndex === undefined) continue;
    const rawCount = set(ci.count);
    const index = whole(rawIndex);
    const total = rawCount === undefined ? count : whole(rawCount);
    if (index === undefined) return { error: `${ci.index}=${rawIndex} (${ci.name}) is not a job index` };
    if (total === undefined)
      return rawCount === undefined
        ? {
            error: `${ci.index} (${ci.name}) gives no count: pass --shard auto/<n>, n ${ci.countIs ?? 'the number of jobs'}`,
          }
        : { error: `${ci.count}=${rawCount} (${ci.name}) is not a job count` };
    if (count !== undefined && total !== count)
      return {
        error: `--shard auto/${count}, but ${ci.count}=${rawCount} (${ci.name}): the counts disagree`,
      };
    const told =
      rawCount === undefined
        ? `${ci.index}=${rawIndex} with --shard auto/${total}`
        : `${ci.index}=${rawIndex} and ${ci.count}=${rawCount}`;
    const shard = { index: index - ci.base + 1, count: total };
    if (shard.count < 1 || shard.index < 1 || shard.index > shard.count)
      return { error: `${told} (${ci.name}, counted from ${ci.base}) is not a job of a split` };
    return { shard, source: `${ci.name} ${told}` };
  }
  return { error: `no CI split found (${CI_SHARDS.map((ci) => `${ci.name} ${ci.index}`).join(', ')})` };
}
