/** The stand-in runner of action.test.ts does what the GitHub runner does with a composite action. */
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { type Action, evaluateExpression, parseOutputFile, runAction } from './action-runner.js';

const context = {
  inputs: { install: 'true', shard: '2/3', 'api-key': 'k' },
  actionPath: '/actions/upscale',
  runnerTemp: '/tmp/runner',
  steps: { run: { outputs: { failed: '0' } } },
};

describe('evaluateExpression', () => {
  it.each<[string, string | number | boolean | null]>([
    ["inputs.install == 'true'", true],
    ["inputs.install == 'TRUE'", true], // GitHub compares strings ignoring case
    ["inputs.install != 'true'", false],
    ['inputs.shard', '2/3'],
    ['inputs.api-key', 'k'],
    ['github.action_path', '/actions/upscale'],
    ['runner.temp', '/tmp/runner'],
    ['steps.run.outputs.failed', '0'],
    ['steps.other.outputs.failed', ''],
    ["inputs.install == 'true' && inputs.shard != ''", true],
    ["inputs.install == 'false' || 'fallback'", 'fallback'],
    ["!(inputs.install == 'true')", false],
    ['success()', true],
    ['failure()', false],
    ['always()', true],
    ["'it''s'", "it's"],
  ])('%s → %o', (expression, value) => {
    expect(evaluateExpression(expression, context)).toEqual(value);
  });

  it.each([['inputs.nope'], ['secrets.KEY'], ['env.HOME'], ["inputs.install == 'true' )"], ["('a'"]])(
    '%s: refused rather than guessed',
    (expression) => {
      expect(() => evaluateExpression(expression, context)).toThrow(/expression/);
    },
  );
});

describe('parseOutputFile', () => {
  it('reads name=value lines and name<<DELIM blocks', () => {
    expect(parseOutputFile('a=1\nb=x=y\nlist<<EOF\none\ntwo\nEOF\nc=\n')).toEqual({
      a: '1',
      b: 'x=y',
      list: 'one\ntwo',
      c: '',
    });
  });

  it('refuses what the runner would refuse', () => {
    expect(() => parseOutputFile('just text\n')).toThrow(/cannot read/);
    expect(() => parseOutputFile('x<<EOF\nno end\n')).toThrow(/never closed/);
  });
});

describe('runAction', () => {
  const action = (steps: Action['runs']['steps']): Action => ({
    name: 't',
    description: 't',
    inputs: { word: { default: 'hello' } },
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression syntax
    outputs: { said: { value: '${{ steps.say.outputs.said }}' } },
    runs: { using: 'composite', steps },
  });
  const options = { with: {}, env: { PATH: process.env.PATH ?? '' }, cwd: tmpdir(), actionPath: tmpdir() };

  it('passes env, GITHUB_OUTPUT and GITHUB_ACTION_PATH; a failed step skips the rest but always()', async () => {
    const run = await runAction(
      action([
        {
          id: 'say',
          shell: 'bash',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression syntax
          env: { WORD: '${{ inputs.word }}' },
          run: 'echo "said=$WORD from $GITHUB_ACTION_PATH" >> "$GITHUB_OUTPUT"',
        },
        { name: 'fails', shell: 'bash', run: 'false; echo not reached' },
        { name: 'after', shell: 'bash', run: 'echo after' },
        { name: 'cleanup', if: 'always()', shell: 'bash', run: 'echo cleanup' },
      ]),
      options,
    );
    expect(run.outputs).toEqual({ said: `hello from ${tmpdir()}` });
    expect(run.failed).toBe(true);
    expect(run.steps.map((s) => [s.name, s.skipped, s.code, s.stdout])).toEqual([
      ['say', false, 0, ''],
      ['fails', false, 1, ''],
      ['after', true, null, ''],
      ['cleanup', false, 0, 'cleanup\n'],
    ]);
  });

  it('refuses what it cannot run as GitHub would', async () => {
    await expect(runAction(action([{ uses: 'actions/setup-node@v4' }]), options)).rejects.toThrow(/uses/);
    await expect(runAction(action([{ run: 'echo', shell: 'pwsh' }]), options)).rejects.toThrow(/bash only/);
    await expect(runAction(action([]), { ...options, with: { nope: 'x' } })).rejects.toThrow(/not an input/);
  });
});
