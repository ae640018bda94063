/**
 * Runs a composite action's steps the way the GitHub Actions runner does, without a runner: the
 * inputs' defaults filled in, `${{ … }}` expressions evaluated (in `if:`, `env:`, `run:` and the
 * outputs' `value:`), each `run:` written to a file and run with the step's `shell` (`bash`:
 * `bash --noprofile --norc -eo pipefail FILE`), `GITHUB_ACTION_PATH` and a fresh `GITHUB_OUTPUT`
 * file per step, whose `name=value` and `name<<EOF` lines become `steps.<id>.outputs`. A step
 * whose `if:` is false is skipped; after a failed step only `if: always()`/`failure()` steps run.
 *
 * As on the real runner, no `INPUT_*` variable reaches a composite action's steps
 * (actions/runner#665): the action must map its inputs into `env:` itself. A step that `uses:`
 * another action, or an expression this file cannot evaluate, throws: the test fails rather than
 * silently run something other than what GitHub would.
 */

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type CliRun, spawnCollect } from '../e2e/cli-harness.js';

export interface ActionInput {
  readonly description?: string;
  readonly required?: boolean;
  readonly default?: string;
}

export interface ActionStep {
  readonly name?: string;
  readonly id?: string;
  readonly if?: string;
  readonly shell?: string;
  readonly run?: string;
  readonly uses?: string;
  readonly env?: Record<string, string>;
  readonly 'working-directory'?: string;
}

export interface Action {
  readonly name: string;
  readonly description: string;
  readonly inputs: Record<string, ActionInput>;
  readonly outputs: Record<string, { description?: string; value: string }>;
  readonly runs: { using: string; steps: ActionStep[] };
}

export async function loadAction(file: string): Promise<Action> {
  return parse(await readFile(file, 'utf8')) as Action;
}

export interface StepRun {
  readonly name: string;
  /** The script as run, expressions evaluated. */
  readonly script: string;
  readonly skipped: boolean;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
}

export interface ActionRun {
  readonly steps: StepRun[];
  /** The action's `outputs:`, evaluated after its steps. */
  readonly outputs: Record<string, string>;
  /** True when a step failed (the job step that used the action would fail). */
  readonly failed: boolean;
}

export interface RunOptions {
  /** `with:` of the workflow step. */
  readonly with: Record<string, string>;
  /** The job's environment (the runner's variables, the workflow's `env:`). */
  readonly env: Record<string, string>;
  /** The workspace: each step's working directory unless it names its own. */
  readonly cwd: string;
  /** Where the runner checked out the action (`github.action_path`). */
  readonly actionPath: string;
  /** `RUNNER_TEMP` (kept afterwards, to read what the action left there); a fresh folder if not given. */
  readonly runnerTemp?: string;
}

export async function runAction(action: Action, options: RunOptions): Promise<ActionRun> {
  if (action.runs.using !== 'composite') throw new Error(`runs.using is ${action.runs.using}, not composite`);
  const inputs: Record<string, string> = {};
  for (const [name, input] of Object.entries(action.inputs ?? {})) inputs[name] = input.default ?? '';
  for (const [name, value] of Object.entries(options.with)) {
    if (!(name in inputs)) throw new Error(`with: ${name} is not an input of the action`);
    inputs[name] = value;
  }
  const temp = await mkdtemp(join(tmpdir(), 'upscale-action-'));
  const runnerTemp = options.runnerTemp ?? join(temp, 'runner-temp');
  await mkdir(runnerTemp, { recursive: true });
  const context: Context = { inputs, actionPath: options.actionPath, runnerTemp, steps: {}, failed: false };
  const steps: StepRun[] = [];
  try {
    for (const [i, step] of action.runs.steps.entries()) {
      const name = step.name ?? step.id ?? `step ${i + 1}`;
      if (step.uses !== undefined) throw new Error(`${name}: uses: ${step.uses} cannot run here`);
      if (step.run === undefined) throw new Error(`${name}: neither run nor uses`);
      if (step.shell !== 'bash')
        throw new Error(`${name}: shell ${step.shell} (a composite run step needs one; bash only here)`);
      const condition = step.if === undefined ? 'success()' : step.if;
      if (!truthy(evaluate(unwrap(condition), context))) {
        steps.push({ name, script: '', skipped: true, code: null, stdout: '', stderr: '', outputs: {} });
        continue;
      }
      const script = substitute(step.run, context);
      const file = join(temp, `step-${i}.sh`);
      const outputFile = join(temp, `output-${i}`);
      await writeFile(file, script);
      await writeFile(outputFile, '');
      const env: Record<string, string> = {
        ...options.env,
        GITHUB_ACTIONS: 'true',
        GITHUB_ACTION_PATH: options.actionPath,
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: join(temp, 'summary.md'),
        GITHUB_RUN_ID: options.env.GITHUB_RUN_ID ?? '1',
        GITHUB_JOB: options.env.GITHUB_JOB ?? 'test',
        RUNNER_TEMP: runnerTemp,
      };
      for (const [k, v] of Object.entries(step.env ?? {})) env[k] = substitute(String(v), context);
      const cwd = step['working-directory'] ? substitute(step['working-directory'], context) : options.cwd;
      const run = await spawnRun('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], { cwd, env });
      const outputs = parseOutputFile(await readFile(outputFile, 'utf8'));
      if (step.id !== undefined) context.steps[step.id] = { outputs };
      if (run.code !== 0) context.failed = true;
      steps.push({
        name,
        script,
        skipped: false,
        code: run.code,
        stdout: run.stdout,
        stderr: run.stderr,
        outputs,
      });
    }
    const outputs: Record<string, string> = {};
    for (const [name, output] of Object.entries(action.outputs ?? {}))
      outputs[name] = substitute(output.value, context);
    return { steps, outputs, failed: context.failed };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

export type Spawned = CliRun;

/** Runs a command with no standard input (as a runner's step has none) and collects its output. */
export function spawnRun(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<Spawned> {
  return spawnCollect(command, args, { ...options, timeout: 120_000 });
}

/** `name=value` lines and `name<<DELIM … DELIM` blocks, as the runner reads `GITHUB_OUTPUT`. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delimiter = ''] = heredoc;
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) body.push(lines[i] ?? '');
      if (i >= lines.length) throw new Error(`GITHUB_OUTPUT: ${name}<<${delimiter} is never closed`);
      outputs[name] = body.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`GITHUB_OUTPUT: cannot read the line ${JSON.stringify(line)}`);
    outputs[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return outputs;
}

interface Context {
  readonly inputs: Record<string, string>;
  readonly actionPath: string;
  readonly runnerTemp: string;
  readonly steps: Record<string, { outputs: Record<string, string> }>;
  failed: boolean;
}

type Value = string | number | boolean | null;

/** `${{ a }}` inside text → its value as a string (null → ''). */
function substitute(text: string, context: Context): string {
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expression: string) => {
    const value = evaluate(expression, context);
    return value === null ? '' : String(value);
  });
}

/** An `if:` may be written with or without `${{ }}`. */
function unwrap(condition: string): string {
  const m = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(condition);
  return m ? (m[1] ?? '') : condition;
}

function truthy(value: Value): boolean {
  return value !== null && value !== false && value !== 0 && value !== '';
}

/**
 * The part of GitHub's expression language a composite action needs: `inputs.<name>`,
 * `github.action_path`, `runner.temp`, `steps.<id>.outputs.<name>`, string/number/boolean
 * literals, `==`, `!=`, `&&`, `||`, `!`, parentheses, and `success()`, `failure()`, `always()`.
 * String comparison ignores case, as GitHub's does.
 */
export function evaluateExpression(
  expression: string,
  context: Omit<Context, 'failed'> & { failed?: boolean },
): Value {
  return evaluate(expression, { failed: false, ...context });
}

function evaluate(expression: string, context: Context): Value {
  const tokens =
    expression.match(/'(?:[^']|'')*'|==|!=|&&|\|\||[()!]|[A-Za-z_][\w.-]*(?:\(\))?|\d+(?:\.\d+)?|\S/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const take = () => tokens[at++];
  const fail = (why: string): never => {
    throw new Error(`expression ${JSON.stringify(expression.trim())}: ${why}`);
  };
  const or = (): Value => {
    let left = and();
    while (peek() === '||') {
      take();
      const right = and();
      left = truthy(left) ? left : right;
    }
    return left;
  };
  const and = (): Value => {
    let left = compare();
    while (peek() === '&&') {
      take();
      const right = compare();
      left = truthy(left) ? right : left;
    }
    return left;
  };
  const compare = (): Value => {
    const left = unary();
    const op = peek();
    if (op !== '==' && op !== '!=') return left;
    take();
    const right = unary();
    const same =
      typeof left === 'string' && typeof right === 'string'
        ? left.toLowerCase() === right.toLowerCase()
        : left === right;
    return op === '==' ? same : !same;
  };
  const unary = (): Value => {
    if (peek() === '!') {
      take();
      return !truthy(unary());
    }
    return primary();
  };
  const primary = (): Value => {
    const token = take() ?? fail('ends too soon');
    if (token === '(') {
      const value = or();
      if (take() !== ')') fail('a ( is not closed');
      return value;
    }
    if (token.startsWith("'")) return token.slice(1, -1).replaceAll("''", "'");
    if (/^\d/.test(token)) return Number(token);
    if (token === 'true' || token === 'false') return token === 'true';
    if (token === 'null') return null;
    if (token === 'success()') return !context.failed;
    if (token === 'failure()') return context.failed;
    if (token === 'always()') return true;
    return lookup(token);
  };
  const lookup = (path: string): Value => {
    const [root, ...rest] = path.split('.');
    if (root === 'inputs' && rest.length === 1) {
      const name = rest[0] ?? '';
      if (!(name in context.inputs)) fail(`no input ${name}`);
      return context.inputs[name] ?? '';
    }
    if (path === 'github.action_path') return context.actionPath;
    if (path === 'runner.temp') return context.runnerTemp;
    if (root === 'steps' && rest.length === 3 && rest[1] === 'outputs') {
      const step = context.steps[rest[0] ?? ''];
      return step?.outputs[rest[2] ?? ''] ?? '';
    }
    return fail(`cannot evaluate ${path} here`);
  };
  const value = or();
  if (at < tokens.length) fail(`unexpected ${tokens[at]}`);
  return value;
}
