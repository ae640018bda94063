/**
 * The composite action (action.yml) run step by step as a runner would (action-runner.ts) against
 * the emulator: a matrix of three shards covers every input once, a re-run pays nothing, a task
 * paid for but not collected is collected by the next run, the key reaches upscale only in its
 * environment, and the outputs say what happened. The install step runs against a stand-in `npm`
 * (no network): the test checks what it would run, not npm itself.
 */
import { readFileSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { jsonLines, scrubbedEnv, useEmulator } from '../e2e/cli-harness.js';
import { type ActionRun, loadAction, runAction } from './action-runner.js';

// Each test runs the CLI several times (six to eight runs): on two busy cores that can take a while.
vi.setConfig({ testTimeout: 120_000 });

const ROOT = resolve(import.meta.dirname, '../..');
const action = await loadAction(join(ROOT, 'action.yml'));
const ctx = useEmulator({ processingMs: 60 }, 'upscale-action-');

async function design(name: string, colour: string): Promise<void> {
  const file = join(ctx.dir, name);
  await mkdir(join(file, '..'), { recursive: true });
  await sharp({ create: { width: 48, height: 36, channels: 3, background: colour } })
    .png()
    .toFile(file);
}

/** The job's environment: the emulator's API roots, but no key (the action is given it). */
function jobEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...scrubbedEnv(),
    CI: 'true',
    UPSCALE_FREEPIK_BASE_URL: ctx.emu.apiUrl,
    UPSCALE_MAGNIFIC_BASE_URL: ctx.emu.apiUrl,
    UPSCALE_COMFY_BASE_URL: ctx.emu.apiUrl,
    UPSCALE_NOVITA_BASE_URL: ctx.emu.apiUrl,
    UPSCALE_RATE_LIMIT: '6000/min',
    UPSCALE_CONFIG_DIR: join(ctx.dir, '.config'),
    ...extra,
  };
}

function act(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  return runAction(action, {
    with: { install: 'false', 'api-key': ctx.emu.keys.freepik, ...inputs },
    env: jobEnv(env),
    cwd: ctx.dir,
    actionPath: ROOT,
    runnerTemp: join(ctx.dir, 'runner-temp'),
  });
}

const steps = (run: ActionRun) =>
  run.steps.map((s) => `${s.name}: ${s.skipped ? 'skipped' : s.code}\n${s.stdout}${s.stderr}`).join('\n');
const upscaleStep = (run: ActionRun) => run.steps.find((s) => s.name === 'Upscale');

describe('action.yml', () => {
  it('declares the inputs a workflow passes, and a composite of bash steps', () => {
    expect(Object.keys(action.inputs)).toEqual(
      expect.arrayContaining([
        'inputs',
        'output',
        'provider',
        'scale',
        'shard',
        'api-key',
        'args',
        'install',
      ]),
    );
    expect(action.runs.using).toBe('composite');
    for (const step of action.runs.steps) expect(step.shell).toBe('bash');
    // An input pasted into a script could run as code: inputs reach the scripts through env only.
    for (const step of action.runs.steps) expect(step.run).not.toMatch(/\$\{\{/);
  });

  it('a matrix of three shards writes every output once; the re-run skips them all and pays nothing', async () => {
    const colours = ['#102030', '#203040', '#304050', '#405060', '#506070', '#607080', '#708090'];
    for (const [i, colour] of colours.entries()) await design(`art/p${i}.png`, colour);
    const runs: ActionRun[] = [];
    for (const shard of ['1/3', '2/3', '3/3'])
      runs.push(await act({ inputs: 'art', output: 'out', scale: '2x', shard }));
    for (const run of runs) expect(run.failed, steps(run)).toBe(false);
    expect(runs.map((r) => r.outputs['exit-code'])).toEqual(['0', '0', '0']);
    const counts = (key: string) => runs.map((r) => Number(r.outputs[key]));
    expect(counts('total').reduce((a, b) => a + b)).toBe(colours.length);
    expect(counts('succeeded')).toEqual(counts('total'));
    expect(counts('failed')).toEqual([0, 0, 0]);
    const written = (await readdir(join(ctx.dir, 'out'))).filter((f) => !f.startsWith('.')).sort();
    expect(written).toEqual(colours.map((_, i) => `p${i}@2x.png`));
    expect(ctx.emu.submissions()).toBe(colours.length);

    // The results output names the --json lines of that job's shard.
    const lines = runs.flatMap((r) => jsonLines(readFileSync(r.outputs.results ?? '', 'utf8')));
    expect(lines.map((l) => l.input).sort()).toEqual(colours.map((_, i) => `art/p${i}.png`));
    expect(new Set(lines.map((l) => l.status))).toEqual(new Set(['succeeded']));
    // What ran is printed, with its shard, and never with the key.
    expect(upscaleStep(runs[1]!)?.stdout).toMatch(
      /^upscale art --output out --provider freepik --json --scale 2x --shard 2\/3$/m,
    );

    const again: ActionRun[] = [];
    for (const shard of ['1/3', '2/3', '3/3'])
      again.push(await act({ inputs: 'art', output: 'out', scale: '2x', shard }));
    for (const run of again) expect(run.failed, steps(run)).toBe(false);
    expect(again.map((r) => r.outputs.skipped)).toEqual(runs.map((r) => r.outputs.total));
    expect(again.map((r) => r.outputs.succeeded)).toEqual(['0', '0', '0']);
    expect(ctx.emu.submissions()).toBe(colours.length);

    for (const run of [...runs, ...again])
      for (const step of run.steps)
        expect(step.script + step.stdout + step.stderr).not.toContain(ctx.emu.keys.freepik);
  });

  it('a task paid for but not collected fails the job; the re-run collects it without paying again', async () => {
    await design('art/slow.png', '#884422');
    ctx.emu.set({ processingMs: 2500 });
    const first = await act({ inputs: 'art', output: 'out', args: '--timeout 1 --poll-interval 200' });
    expect(first.failed).toBe(true);
    expect(first.outputs).toMatchObject({ 'exit-code': '1', failed: '1', succeeded: '0', total: '1' });
    expect(upscaleStep(first)?.stdout).toMatch(/^::error title=upscale TIMEOUT::art\/slow\.png: /m);
    expect(ctx.emu.submissions()).toBe(1);
    // The ledger entry of the paid task is in the output folder: what a cache of it carries.
    expect((await readdir(join(ctx.dir, 'out/.upscale'))).some((f) => f.endsWith('.json'))).toBe(true);

    const second = await act({ inputs: 'art', output: 'out', args: '--poll-interval 200' });
    expect(second.failed, steps(second)).toBe(false);
    expect(second.outputs).toMatchObject({ 'exit-code': '0', succeeded: '1', failed: '0' });
    expect(ctx.emu.submissions()).toBe(1);
    expect(await readdir(join(ctx.dir, 'out'))).toContain('slow@2x.png');
  });

  it('splits inputs and args as a shell would, quotes kept together', async () => {
    await design('my art/a.png', '#123456');
    await design('more/b.png', '#654321');
    const run = await act({
      inputs: "'my art'\nmore/*.png",
      output: 'big',
      args: '--name "{name} big" --concurrency 2',
    });
    expect(run.failed, steps(run)).toBe(false);
    expect((await readdir(join(ctx.dir, 'big'))).filter((f) => !f.startsWith('.')).sort()).toEqual([
      'a big.png',
      'b big.png',
    ]);
    expect(run.outputs.succeeded).toBe('2');
  });

  it('runs no command hidden in an input', async () => {
    await design('art/a.png', '#123456');
    const run = await act({
      inputs: 'art $(touch pwned1) `touch pwned2`',
      output: 'out; touch pwned3',
      args: '--concurrency 2; touch pwned4',
      scale: '2x && touch pwned5',
    });
    expect(run.failed).toBe(true); // refused as a bad --scale (exit 2), but nothing else ran
    expect((await readdir(ctx.dir)).filter((f) => f.startsWith('pwned'))).toEqual([]);
    expect(ctx.emu.requests).toEqual([]);
  });

  it('refuses before anything is sent: a key for a provider without one, an unknown provider, no input', async () => {
    await design('art/a.png', '#222222');
    const local = await act({ inputs: 'art', output: 'out', provider: 'local' });
    expect(local.failed).toBe(true);
    expect(upscaleStep(local)?.stdout).toMatch(/::error title=upscale::the provider local takes no API key/);
    const unknown = await act({ inputs: 'art', output: 'out', provider: 'freepix' });
    expect(unknown.failed).toBe(true);
    expect(upscaleStep(unknown)?.stderr).toMatch(/unknown provider "freepix"/);
    const none = await act({ inputs: '  \n ', output: 'out' });
    expect(none.failed).toBe(true);
    expect(upscaleStep(none)?.stdout).toMatch(/names no file, folder or pattern/);
    const noKey = await act({ inputs: 'art', output: 'out', 'api-key': '' });
    expect(noKey.outputs['exit-code']).toBe('2');
    expect(ctx.emu.requests).toEqual([]);
  });

  it('a key already in the job environment is used when api-key is empty', async () => {
    await design('art/a.png', '#333333');
    const run = await act(
      { inputs: 'art', output: 'out', 'api-key': '' },
      { FREEPIK_API_KEY: ctx.emu.keys.freepik },
    );
    expect(run.failed, steps(run)).toBe(false);
    expect(run.outputs.succeeded).toBe('1');
  });

  it("install: 'true' runs npm ci in the action's own checkout before upscale", async () => {
    await design('art/a.png', '#444444');
    const bin = join(ctx.dir, 'fake-bin');
    await mkdir(bin);
    const log = join(ctx.dir, 'npm.log');
    await writeFile(join(bin, 'npm'), `#!/bin/sh\necho "$PWD|$*" >> ${JSON.stringify(log)}\n`);
    await chmod(join(bin, 'npm'), 0o755);
    const run = await runAction(action, {
      with: { inputs: 'art', output: 'out', 'api-key': ctx.emu.keys.freepik },
      env: jobEnv({ PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` }),
      cwd: ctx.dir,
      actionPath: ROOT,
    });
    expect(run.failed, steps(run)).toBe(false);
    expect(run.steps.map((s) => [s.name, s.skipped])).toEqual([
      ['Install upscale', false],
      ['Upscale', false],
    ]);
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual([
      `${ROOT}|ci --include=dev --no-audit --no-fund`,
    ]);
    expect(run.outputs.succeeded).toBe('1');
  });
});
