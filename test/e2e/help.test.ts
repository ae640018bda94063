/** Every command's --help shows real examples, on stdout, with exit 0. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './cli-harness.js';

describe('--help', () => {
  it.each([
    [[]],
    [['config']],
    [['config', 'set']],
    [['config', 'get']],
    [['config', 'unset']],
    [['config', 'list']],
    [['config', 'path']],
    [['providers']],
    [['status']],
    [['download']],
    [['resume']],
    [['webhook']],
    [['webhook', 'verify']],
    [['version']],
    [['completion']],
  ])('upscale %j --help has an example', async (command) => {
    const run = await runCli([...command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Examples?:\n {2}\$ upscale /);
    expect(run.stderr).toBe('');
  });

  it('lists the flags of every provider in the main help', async () => {
    const run = await runCli(['--help']);
    for (const flag of [
      '--engine',
      '--sharpen',
      '--flavor',
      '--resolution',
      '--model',
      '--format',
      '--fit',
      '--shard',
    ]) {
      expect(run.stdout).toContain(flag);
    }
  });
});

/** Issue 24, Must 8: `help`, `version` and `completion` are commands, not file names. */
describe('help, version and the end of --help', () => {
  it('`upscale help` and `upscale help <command>` print what --help prints', async () => {
    const [help, flag] = await Promise.all([runCli(['help']), runCli(['--help'])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(flag.stdout);
    const [status, statusFlag] = await Promise.all([
      runCli(['help', 'status']),
      runCli(['status', '--help']),
    ]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^Usage: upscale status/);
    expect(status.stdout).toBe(statusFlag.stdout);
    expect(status.stderr).toBe('');
  });

  it('`upscale version` prints the version; with --verbose, node, sharp/libvips and the local runtime', async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const plain = await runCli(['version']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(`${version}\n`);
    for (const args of [
      ['version', '--verbose'],
      ['--version', '--verbose'],
      ['-V', '-v'],
    ]) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(new RegExp(`^upscale ${version.replaceAll('.', '\\.')}\\n`));
      expect(run.stdout).toContain(`node    ${process.version}`);
      expect(run.stdout).toMatch(/^sharp {3}\d+\.\d+\.\d+ \(libvips \d+\.\d+\.\d+\)$/m);
      expect(run.stdout).toMatch(/^local {3}onnxruntime-web \d+\.\d+\.\d+ /m);
      expect(run.stdout).toMatch(/^local {3}onnxruntime-node /m);
    }
  });

  it('--help ends with the variables, the config file that `upscale config path` names, and the docs', async () => {
    const dir = await tempDir();
    for (const env of [{ UPSCALE_CONFIG_DIR: join(dir, 'cfg') }, { XDG_CONFIG_HOME: join(dir, 'xdg') }]) {
      // Without UPSCALE_CONFIG_DIR, conf's platform folder (XDG_CONFIG_HOME here).
      const unset = 'UPSCALE_CONFIG_DIR' in env ? {} : { UPSCALE_CONFIG_DIR: '' };
      const [help, path] = await Promise.all([
        runCli(['--help'], { env: { ...env, ...unset }, cwd: dir }),
        runCli(['config', 'path'], { env: { ...env, ...unset }, cwd: dir }),
      ]);
      expect(path.code, path.stderr).toBe(0);
      const tail = help.stdout.slice(help.stdout.indexOf('\nEnvironment:'));
      expect(tail, help.stdout).not.toBe(help.stdout);
      for (const name of [
        'FREEPIK_API_KEY',
        'UPSCALE_FREEPIK_BASE_URL',
        'UPSCALE_CONFIG_DIR',
        'UPSCALE_RATE_LIMIT',
      ])
        expect(tail).toContain(name);
      expect(tail).toContain(`Config file: ${path.stdout.trim()}\n`);
    }
    const help = await runCli(['--help']);
    const docs = [...help.stdout.matchAll(/^(?:Docs:)?\s+(\/\S+\.md)/gm)].map((m) => m[1]!);
    expect(docs.map((d) => d.slice(process.cwd().length + 1))).toEqual(['README.md', 'docs/cli.md']);
    for (const doc of docs) expect(existsSync(doc), doc).toBe(true);
    expect(help.stdout.trimEnd().split('\n').at(-1)).toMatch(
      /^Shell completion: upscale completion bash\|zsh\|fish/,
    );
  });

  it('ships the docs --help names in the package', () => {
    const [pack] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' }),
    ) as { files: { path: string }[] }[];
    const files = pack!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/cli.md']));
  });
});
