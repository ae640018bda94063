/**
 * The CI recipes of docs/batches-and-ci.md: every YAML and JSON block parses; each recipe keeps its
 * output folder with `.upscale/` and splits into as many jobs as its `--shard` says; and each
 * recipe's command, run as each of its jobs would (the platform's index variables or the matrix
 * value, the key in the environment, `upscale` and a stand-in `npm` on the PATH) against the
 * emulator, makes every input once — and a second round submits nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { makeShimDir } from '../docs/sandbox.js';
import { BIN, jsonLines, scrubbedEnv, useEmulator } from '../e2e/cli-harness.js';
import { loadAction, runAction, spawnRun } from './action-runner.js';

// Each test runs the CLI several times (six to eight runs): on two busy cores that can take a while.
vi.setConfig({ testTimeout: 120_000 });

const ROOT = resolve(import.meta.dirname, '../..');
const DOC = 'docs/batches-and-ci.md';

interface Block {
  readonly lang: string;
  readonly heading: string;
  readonly line: number;
  readonly body: string;
}

/** Fenced blocks with the heading they sit under. */
function blocksOf(markdown: string): Block[] {
  const blocks: Block[] = [];
  let heading = '';
  let open: { lang: string; line: number; body: string[] } | undefined;
  for (const [i, line] of markdown.split('\n').entries()) {
    if (open) {
      if (line.trimEnd() === '```') {
        blocks.push({ lang: open.lang, heading, line: open.line, body: `${open.body.join('\n')}\n` });
        open = undefined;
      } else open.body.push(line);
    } else if (line.startsWith('```')) open = { lang: line.slice(3).trim(), line: i + 1, body: [] };
    else if (/^#{2,3} /.test(line)) heading = line.replace(/^#+ /, '');
  }
  return blocks;
}

const blocks = blocksOf(readFileSync(join(ROOT, DOC), 'utf8'));
const under = (heading: string, lang: string) =>
  blocks.filter((b) => b.heading === heading && b.lang === lang);
const only = (heading: string, lang: string, has: string) => {
  const found = under(heading, lang).filter((b) => b.body.includes(has));
  if (found.length !== 1)
    throw new Error(`${DOC}: ${found.length} ${lang} blocks under "${heading}" with ${has}`);
  return found[0] as Block;
};

type Json = Record<string, unknown>;
const obj = (v: unknown, what: string): Json => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} is not a mapping`);
  return v as Json;
};
const list = (v: unknown, what: string): unknown[] => {
  if (!Array.isArray(v)) throw new Error(`${what} is not a list`);
  return v;
};

/** `--shard` of an argument list: its value. */
function shardOf(args: readonly string[]): string {
  const i = args.indexOf('--shard');
  if (i < 0 || args[i + 1] === undefined) throw new Error(`no --shard in ${args.join(' ')}`);
  return args[i + 1] as string;
}
/** `-o` / `--output` of an argument list. */
function outputOf(args: readonly string[]): string {
  const i = args.findIndex((a) => a === '-o' || a === '--output');
  if (i < 0 || args[i + 1] === undefined) throw new Error(`no -o in ${args.join(' ')}`);
  return args[i + 1] as string;
}

describe(`${DOC}: every block parses`, () => {
  it('has the four recipes', () => {
    for (const heading of ['GitHub Actions', 'GitLab CI', 'Kubernetes Indexed Job', 'AWS Batch'])
      expect(blocks.some((b) => b.heading === heading && (b.lang === 'yaml' || b.lang === 'json'))).toBe(
        true,
      );
  });

  it.each(
    blocks.filter((b) => b.lang === 'yaml').map((b) => [`${DOC}:${b.line} (${b.heading})`, b] as const),
  )('%s: YAML', (_, block) => {
    const docs = parseAllDocuments(block.body);
    for (const doc of docs) expect(doc.errors.map((e) => e.message)).toEqual([]);
    expect(docs.length).toBeGreaterThan(0);
  });

  it.each(
    blocks.filter((b) => b.lang === 'json').map((b) => [`${DOC}:${b.line} (${b.heading})`, b] as const),
  )('%s: JSON', (_, block) => {
    expect(() => JSON.parse(block.body)).not.toThrow();
  });
});

const ctx = useEmulator({ processingMs: 60 }, 'upscale-recipes-');
let shimDir = '';
const INPUTS = ['p0.png', 'p1.png', 'p2.png', 'icons/i0.png', 'icons/i1.png', 'icons/deep/i2.png'];

beforeAll(async () => {
  // `upscale` runs this checkout's CLI; `npm` only writes down what it was asked.
  shimDir = await makeShimDir();
  await writeFile(join(shimDir, 'npm'), '#!/bin/sh\necho "$*" >> "$NPM_LOG"\n');
  await chmod(join(shimDir, 'npm'), 0o755);
});

/** The inputs of a recipe, under `folder` of this test's directory. */
async function assets(folder: string): Promise<void> {
  for (const [i, name] of INPUTS.entries()) {
    const file = join(ctx.dir, folder, name);
    await mkdir(join(file, '..'), { recursive: true });
    await sharp({ create: { width: 48, height: 36, channels: 3, background: `#${i}0${i}08${i}` } })
      .png()
      .toFile(file);
  }
}

function jobEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...scrubbedEnv(),
    CI: 'true',
    PATH: `${shimDir}${delimiter}${process.env.PATH ?? ''}`,
    NPM_LOG: join(ctx.dir, 'npm.log'),
    UPSCALE_FREEPIK_BASE_URL: ctx.emu.apiUrl,
    UPSCALE_MAGNIFIC_BASE_URL: ctx.emu.apiUrl,
    UPSCALE_RATE_LIMIT: '6000/min',
    UPSCALE_CONFIG_DIR: join(ctx.dir, `.config-${Math.random().toString(36).slice(2)}`), // a fresh runner
    ...extra,
  };
}

/** Output files (not hidden) under `folder`, relative to it. */
async function outputs(folder: string): Promise<string[]> {
  const all = await readdir(join(ctx.dir, folder), { recursive: true, withFileTypes: true });
  return all
    .filter((e) => e.isFile())
    .map((e) => relative(join(ctx.dir, folder), join(e.parentPath, e.name)))
    .filter((p) => !p.split('/').some((part) => part.startsWith('.')))
    .sort();
}

/**
 * Runs the `n` jobs of a recipe (`job(i)` for i = 0…n-1, each returning its JSON lines) twice:
 * the first round makes each input once, the second skips them all and submits nothing.
 */
async function twoRounds(
  n: number,
  output: string,
  job: (i: number) => Promise<Record<string, unknown>[]>,
): Promise<void> {
  const first: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) first.push(...(await job(i)));
  expect(first.map((l) => l.status)).toEqual(INPUTS.map(() => 'succeeded'));
  expect(first.map((l) => String(l.input).replace(/^.*assets\//, '')).sort()).toEqual([...INPUTS].sort());
  expect(await outputs(output)).toEqual(INPUTS.map((p) => p.replace('.png', '@2x.png')).sort());
  expect(ctx.emu.submissions()).toBe(INPUTS.length);
  // The ledger and recipes are in the output folder, where the recipe keeps it.
  expect(existsSync(join(ctx.dir, output, '.upscale/recipes'))).toBe(true);

  const second: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) second.push(...(await job(i)));
  expect(second.map((l) => l.status)).toEqual(INPUTS.map(() => 'skipped'));
  expect(ctx.emu.submissions()).toBe(INPUTS.length);
}

/** `${{ matrix.shard }}` and `${{ secrets.X }}` of a workflow, as GitHub would fill them in. */
function expand(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{\{\s*([\w.-]+)\s*\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for \${{ ${name} }} in ${text}`);
    return value;
  });
}

async function shell(script: string, env: Record<string, string>) {
  return spawnRun('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd: ctx.dir, env });
}

const npmCalls = async () => (await readFile(join(ctx.dir, 'npm.log'), 'utf8')).trim().split('\n');

describe('the GitHub Actions recipe', () => {
  const workflow = obj(parseYaml(only('GitHub Actions', 'yaml', 'jobs:').body), 'the workflow');
  const job = obj(obj(workflow.jobs, 'jobs').upscale, 'jobs.upscale');
  const matrix = list(obj(obj(job.strategy, 'strategy').matrix, 'matrix').shard, 'matrix.shard').map(String);
  const steps = list(job.steps, 'steps').map((s, i) => obj(s, `step ${i}`));
  const step = (uses: RegExp) => {
    const found = steps.filter((s) => uses.test(String(s.uses ?? '')));
    if (found.length !== 1) throw new Error(`${found.length} steps use ${uses}`);
    return found[0] as Json;
  };
  const upscale = step(/\/upscale@/);
  const use = obj(upscale.with, 'the upscale step with:');

  it('caches the output folder with .upscale/, saved whatever happened, one cache per share', () => {
    const restore = obj(step(/^actions\/cache\/restore@/).with, 'restore with:');
    const save = step(/^actions\/cache\/save@/);
    expect(restore.path).toBe(use.output);
    expect(obj(save.with, 'save with:').path).toBe(use.output);
    expect(obj(save.with, 'save with:').key).toBe(restore.key);
    expect(save.if).toBe('always()');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression syntax
    expect(String(restore.key)).toContain('${{ matrix.shard }}');
    expect(String(use.shard)).toBe(`\${{ matrix.shard }}/${matrix.length}`);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression syntax
    expect(use['api-key']).toBe('${{ secrets.FREEPIK_API_KEY }}');
    expect(obj(job.strategy, 'strategy')['fail-fast']).toBe(false);
  });

  it('its matrix, run through the composite action, makes each input once; the re-run pays nothing', async () => {
    await assets(String(use.inputs));
    const action = await loadAction(join(ROOT, 'action.yml'));
    await twoRounds(matrix.length, String(use.output), async (i) => {
      const values = { 'matrix.shard': matrix[i] ?? '', 'secrets.FREEPIK_API_KEY': ctx.emu.keys.freepik };
      const run = await runAction(action, {
        with: Object.fromEntries(Object.entries(use).map(([k, v]) => [k, expand(String(v), values)])),
        env: jobEnv(),
        cwd: ctx.dir,
        actionPath: ROOT,
        runnerTemp: join(ctx.dir, 'runner-temp'),
      });
      const log = run.steps.map((s) => `${s.name}: ${s.code}\n${s.stdout}${s.stderr}`).join('\n');
      expect(run.failed, log).toBe(false);
      return jsonLines(await readFile(run.outputs.results ?? '', 'utf8'));
    });
    // The install step ran npm ci in the action's checkout, once per job.
    expect(new Set(await npmCalls())).toEqual(new Set(['ci --include=dev --no-audit --no-fund']));
  });

  it('without the action: the tarball installed, the command run with the key in env', async () => {
    const fragment = list(parseYaml(only('GitHub Actions', 'yaml', 'npm install -g').body), 'the steps').map(
      (s, i) => obj(s, `step ${i}`),
    );
    const command = fragment.find((s) => String(s.run).startsWith('upscale '));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression syntax
    expect(obj(command?.env, 'env').FREEPIK_API_KEY).toBe('${{ secrets.FREEPIK_API_KEY }}');
    expect(String(command?.run)).toContain(`--shard \${{ matrix.shard }}/${matrix.length} `);
    const args = String(command?.run).split(/\s+/);
    await assets('assets');
    await twoRounds(matrix.length, outputOf(args), async (i) => {
      const values = { 'matrix.shard': matrix[i] ?? '', 'secrets.FREEPIK_API_KEY': ctx.emu.keys.freepik };
      for (const s of fragment) {
        const env = jobEnv(
          Object.fromEntries(
            Object.entries(obj(s.env ?? {}, 'env')).map(([k, v]) => [k, expand(String(v), values)]),
          ),
        );
        const run = await shell(expand(String(s.run), values), env);
        expect(run.code, `${s.run}\n${run.stdout}${run.stderr}`).toBe(0);
      }
      return jsonLines(await readFile(join(ctx.dir, `upscale-${matrix[i]}.jsonl`), 'utf8'));
    });
    expect(new Set(await npmCalls())).toEqual(new Set(['install -g ./tools/upscale-0.1.0.tgz']));
  });
});

describe('the GitLab CI recipe', () => {
  const pipeline = obj(parseYaml(only('GitLab CI', 'yaml', 'parallel:').body), 'the pipeline');
  const job = obj(pipeline.upscale, 'upscale');
  const n = Number(job.parallel);
  const script = list(job.script, 'script').map(String);
  const command = script.find((l) => l.startsWith('upscale '))?.split(/\s+/) ?? [];

  it('caches the output folder with .upscale/ per job, also after a failure; --shard auto', () => {
    const cache = obj(job.cache, 'cache');
    expect(list(cache.paths, 'cache.paths').map((p) => String(p).replace(/\/$/, ''))).toContain(
      outputOf(command),
    );
    expect(cache.when).toBe('always');
    expect(String(cache.key)).toMatch(/\$CI_NODE_INDEX/);
    expect(shardOf(command)).toBe('auto');
    expect(n).toBeGreaterThan(1);
  });

  it('its parallel jobs make each input once; the re-run pays nothing', async () => {
    await assets('assets');
    await twoRounds(n, outputOf(command), async (i) => {
      // GitLab numbers parallel jobs from 1.
      const env = jobEnv({
        CI_NODE_INDEX: String(i + 1),
        CI_NODE_TOTAL: String(n),
        FREEPIK_API_KEY: ctx.emu.keys.freepik,
      });
      for (const line of script) {
        const run = await shell(line, env);
        expect(run.code, `${line}\n${run.stdout}${run.stderr}`).toBe(0);
      }
      return jsonLines(await readFile(join(ctx.dir, `upscale-${i + 1}.jsonl`), 'utf8'));
    });
    expect(new Set(await npmCalls())).toEqual(new Set(['install -g ./tools/upscale-0.1.0.tgz']));
  });
});

/** Runs the image's `upscale` with container arguments, `/data` being this test's `data/`. */
async function container(args: readonly string[], env: Record<string, string>) {
  const mapped = args.map((a) => a.replace(/^\/data(?=\/|$)/, join(ctx.dir, 'data')));
  const run = await spawnRun(process.execPath, [BIN, ...mapped], { cwd: ctx.dir, env });
  expect(run.code, `upscale ${args.join(' ')}\n${run.stderr}`).toBe(0);
  return jsonLines(run.stdout);
}

const dockerfile = only('Kubernetes Indexed Job', 'dockerfile', 'ENTRYPOINT').body;

describe('the Kubernetes recipe', () => {
  const docs = parseAllDocuments(only('Kubernetes Indexed Job', 'yaml', 'kind: Job').body).map((d) =>
    obj(d.toJS(), 'a manifest'),
  );
  const jobDoc = docs.find((d) => d.kind === 'Job') ?? {};
  const spec = obj(jobDoc.spec, 'spec');
  const pod = obj(obj(spec.template, 'template').spec, 'pod spec');
  const box = obj(list(pod.containers, 'containers')[0], 'container');
  const args = list(box.args, 'args').map(String);

  it('an Indexed Job of n completions runs upscale --shard auto/n on one shared volume, the key from a Secret', () => {
    expect(dockerfile).toMatch(/^ENTRYPOINT \["upscale"\]$/m);
    expect(spec.completionMode).toBe('Indexed');
    expect(shardOf(args)).toBe(`auto/${spec.completions}`);
    const mounts = list(box.volumeMounts, 'volumeMounts').map((m) => String(obj(m, 'mount').mountPath));
    expect(mounts.some((m) => outputOf(args).startsWith(`${m}/`))).toBe(true);
    const claim = list(pod.volumes, 'volumes').map((v) => obj(v, 'volume').persistentVolumeClaim);
    expect(claim[0]).toBeTruthy();
    const key = list(box.env, 'env')
      .map((e) => obj(e, 'env'))
      .find((e) => e.name === 'FREEPIK_API_KEY');
    expect(key?.value).toBeUndefined();
    expect(obj(obj(key?.valueFrom, 'valueFrom').secretKeyRef, 'secretKeyRef').name).toBeTruthy();
  });

  it('its pods make each input once; running the Job again pays nothing', async () => {
    await assets('data/assets');
    const n = Number(spec.completions);
    await twoRounds(n, 'data/upscaled', (i) =>
      container(args, jobEnv({ JOB_COMPLETION_INDEX: String(i), FREEPIK_API_KEY: ctx.emu.keys.freepik })),
    );
  });
});

describe('the AWS Batch recipe', () => {
  const definition = obj(JSON.parse(only('AWS Batch', 'json', 'containerProperties').body), 'job definition');
  const props = obj(definition.containerProperties, 'containerProperties');
  const command = list(props.command, 'command').map(String);
  const submit = only('AWS Batch', 'sh', 'submit-job').body;
  const size = Number(/--array-properties size=(\d+)/.exec(submit)?.[1]);

  it('an array job of size n runs upscale --shard auto/n on EFS, the key from Secrets Manager', () => {
    expect(shardOf(command)).toBe(`auto/${size}`);
    expect(submit).toContain(`--job-definition ${definition.jobDefinitionName}`);
    const mounts = list(props.mountPoints, 'mountPoints').map((m) => String(obj(m, 'mount').containerPath));
    expect(mounts.some((m) => outputOf(command).startsWith(`${m}/`))).toBe(true);
    const secrets = list(props.secrets, 'secrets').map((s) => obj(s, 'secret'));
    expect(secrets.find((s) => s.name === 'FREEPIK_API_KEY')?.valueFrom).toMatch(/^arn:aws:secretsmanager:/);
    expect(JSON.stringify(props)).not.toMatch(/"environment"/);
  });

  it('its children make each input once; submitting the array again pays nothing', async () => {
    await assets('data/assets');
    await twoRounds(size, 'data/upscaled', (i) =>
      container(
        command,
        jobEnv({ AWS_BATCH_JOB_ARRAY_INDEX: String(i), FREEPIK_API_KEY: ctx.emu.keys.freepik }),
      ),
    );
  });
});
