/**
 * `--shard auto`: which job of a split this is, from each CI's and batch engine's variables
 * (0- or 1-based as each documents), and `--shard i/n` itself.
 */
import { describe, expect, it } from 'vitest';
import { inShard, parseShard, SHARD_AUTO_SOURCES, shardFromEnv } from '../../src/run/shard.js';

type Env = Record<string, string>;

describe('shardFromEnv', () => {
  // [engine, variables, n of --shard auto/<n>, the shard (1-based index of count)]
  it.each<[string, Env, number | undefined, { index: number; count: number }]>([
    [
      'GitLab, first job (1-based)',
      { CI_NODE_INDEX: '1', CI_NODE_TOTAL: '3' },
      undefined,
      { index: 1, count: 3 },
    ],
    ['GitLab, last job', { CI_NODE_INDEX: '3', CI_NODE_TOTAL: '3' }, undefined, { index: 3, count: 3 }],
    [
      'CircleCI, first (0-based)',
      { CIRCLE_NODE_INDEX: '0', CIRCLE_NODE_TOTAL: '4' },
      undefined,
      { index: 1, count: 4 },
    ],
    [
      'Buildkite, last (0-based)',
      { BUILDKITE_PARALLEL_JOB: '3', BUILDKITE_PARALLEL_JOB_COUNT: '4' },
      undefined,
      { index: 4, count: 4 },
    ],
    [
      'Cloud Run Jobs, first (0-based)',
      { CLOUD_RUN_TASK_INDEX: '0', CLOUD_RUN_TASK_COUNT: '5' },
      undefined,
      { index: 1, count: 5 },
    ],
    [
      'Cloud Run Jobs, last',
      { CLOUD_RUN_TASK_INDEX: '4', CLOUD_RUN_TASK_COUNT: '5' },
      undefined,
      { index: 5, count: 5 },
    ],
    [
      'Cloud Run Jobs, auto/<n> agreeing',
      { CLOUD_RUN_TASK_INDEX: '1', CLOUD_RUN_TASK_COUNT: '2' },
      2,
      { index: 2, count: 2 },
    ],
    [
      'Google Batch, first (0-based)',
      { BATCH_TASK_INDEX: '0', BATCH_TASK_COUNT: '3' },
      undefined,
      { index: 1, count: 3 },
    ],
    [
      'Google Batch, last',
      { BATCH_TASK_INDEX: '2', BATCH_TASK_COUNT: '3' },
      undefined,
      { index: 3, count: 3 },
    ],
    ['AWS Batch, count from auto/<n>', { AWS_BATCH_JOB_ARRAY_INDEX: '0' }, 4, { index: 1, count: 4 }],
    ['AWS Batch, last child', { AWS_BATCH_JOB_ARRAY_INDEX: '3' }, 4, { index: 4, count: 4 }],
    [
      'AWS Batch, AWS_BATCH_JOB_ARRAY_SIZE where the agent sets it',
      { AWS_BATCH_JOB_ARRAY_INDEX: '2', AWS_BATCH_JOB_ARRAY_SIZE: '3' },
      undefined,
      { index: 3, count: 3 },
    ],
    [
      'AWS Batch, both agreeing',
      { AWS_BATCH_JOB_ARRAY_INDEX: '2', AWS_BATCH_JOB_ARRAY_SIZE: '3' },
      3,
      { index: 3, count: 3 },
    ],
    ['Kubernetes Indexed Job', { JOB_COMPLETION_INDEX: '1' }, 3, { index: 2, count: 3 }],
    ['Kubernetes, first completion', { JOB_COMPLETION_INDEX: '0' }, 1, { index: 1, count: 1 }],
    [
      'AWS Batch on EKS: the AWS variable, not the pod',
      { AWS_BATCH_JOB_ARRAY_INDEX: '0', JOB_COMPLETION_INDEX: '5' },
      2,
      { index: 1, count: 2 },
    ],
    [
      'spaces around values',
      { BATCH_TASK_INDEX: ' 1 ', BATCH_TASK_COUNT: '2 ' },
      undefined,
      { index: 2, count: 2 },
    ],
    [
      'an empty variable is not set',
      { CI_NODE_INDEX: '', BATCH_TASK_INDEX: '0', BATCH_TASK_COUNT: '2' },
      undefined,
      { index: 1, count: 2 },
    ],
  ])('%s', (_engine, env, count, shard) => {
    expect(shardFromEnv(env, count)).toEqual({ shard, source: expect.any(String) });
  });

  it.each<[string, Env, number | undefined, RegExp]>([
    [
      'no variable at all',
      {},
      undefined,
      /^no CI split found \(GitLab CI_NODE_INDEX, .*Kubernetes JOB_COMPLETION_INDEX\)$/,
    ],
    [
      'Kubernetes without n',
      { JOB_COMPLETION_INDEX: '1' },
      undefined,
      /pass --shard auto\/<n>, n the Job's completions/,
    ],
    [
      'AWS Batch without n',
      { AWS_BATCH_JOB_ARRAY_INDEX: '1' },
      undefined,
      /pass --shard auto\/<n>, n the array size/,
    ],
    [
      'Kubernetes index past n',
      { JOB_COMPLETION_INDEX: '3' },
      3,
      /JOB_COMPLETION_INDEX=3 with --shard auto\/3 .*not a job of a split/,
    ],
    ['AWS Batch index past n', { AWS_BATCH_JOB_ARRAY_INDEX: '4' }, 4, /not a job of a split/],
    [
      'GitLab index past the total',
      { CI_NODE_INDEX: '4', CI_NODE_TOTAL: '3' },
      undefined,
      /not a job of a split/,
    ],
    [
      'GitLab index 0 (it counts from 1)',
      { CI_NODE_INDEX: '0', CI_NODE_TOTAL: '3' },
      undefined,
      /counted from 1\) is not a job/,
    ],
    [
      'Cloud Run index = count',
      { CLOUD_RUN_TASK_INDEX: '3', CLOUD_RUN_TASK_COUNT: '3' },
      undefined,
      /not a job of a split/,
    ],
    [
      'Google Batch count 0',
      { BATCH_TASK_INDEX: '0', BATCH_TASK_COUNT: '0' },
      undefined,
      /not a job of a split/,
    ],
    [
      'a count that disagrees with n',
      { CLOUD_RUN_TASK_INDEX: '0', CLOUD_RUN_TASK_COUNT: '4' },
      3,
      /the counts disagree/,
    ],
    [
      'an array size that disagrees with n',
      { AWS_BATCH_JOB_ARRAY_INDEX: '0', AWS_BATCH_JOB_ARRAY_SIZE: '4' },
      3,
      /auto\/3, but AWS_BATCH_JOB_ARRAY_SIZE=4 .*disagree/,
    ],
    [
      'an index that is no number',
      { BATCH_TASK_INDEX: 'abc', BATCH_TASK_COUNT: '2' },
      undefined,
      /BATCH_TASK_INDEX=abc .*not a job index/,
    ],
    [
      'a count that is no number',
      { CLOUD_RUN_TASK_INDEX: '0', CLOUD_RUN_TASK_COUNT: 'x' },
      undefined,
      /CLOUD_RUN_TASK_COUNT=x .*not a job count/,
    ],
    ['a negative index', { CIRCLE_NODE_INDEX: '-1', CIRCLE_NODE_TOTAL: '2' }, undefined, /not a job index/],
  ])('%s: refused', (_case, env, count, message) => {
    const found = shardFromEnv(env, count);
    expect(found).toEqual({ error: expect.stringMatching(message) });
  });

  it('names every engine it knows when none is found', () => {
    const found = shardFromEnv({});
    expect('error' in found && found.error).toBeTruthy();
    for (const name of SHARD_AUTO_SOURCES) expect('error' in found ? found.error : '').toContain(name);
    expect(SHARD_AUTO_SOURCES).toEqual([
      'GitLab',
      'CircleCI',
      'Buildkite',
      'Cloud Run Jobs',
      'Google Batch',
      'AWS Batch',
      'Kubernetes',
    ]);
  });

  it('n jobs of any engine cover every input exactly once', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `photos/p${i}.jpg`);
    const engines: ((i: number, n: number) => Env)[] = [
      (i, n) => ({ CI_NODE_INDEX: String(i + 1), CI_NODE_TOTAL: String(n) }),
      (i, n) => ({ CLOUD_RUN_TASK_INDEX: String(i), CLOUD_RUN_TASK_COUNT: String(n) }),
      (i, n) => ({ BATCH_TASK_INDEX: String(i), BATCH_TASK_COUNT: String(n) }),
      (i) => ({ AWS_BATCH_JOB_ARRAY_INDEX: String(i) }),
    ];
    for (const envOf of engines) {
      const taken = new Map<string, number>();
      for (let i = 0; i < 3; i++) {
        const found = shardFromEnv(envOf(i, 3), 3);
        if ('error' in found) throw new Error(found.error);
        for (const key of keys.filter((k) => inShard(k, found.shard)))
          taken.set(key, (taken.get(key) ?? 0) + 1);
      }
      expect(taken.size).toBe(keys.length);
      expect([...taken.values()].every((times) => times === 1)).toBe(true);
    }
  });
});

describe('parseShard', () => {
  it.each([
    ['2/3', { index: 2, count: 3 }],
    [' 1 / 1 ', { index: 1, count: 1 }],
    ['0/3', undefined],
    ['4/3', undefined],
    ['1/0', undefined],
    ['auto', undefined],
  ])('%s → %o', (text, shard) => {
    expect(parseShard(text)).toEqual(shard);
  });
});
