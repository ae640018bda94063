/**
 * Issue 24, Must 8: `upscale completion bash|zsh|fish` prints a script that completes commands,
 * flags, providers, engines and scales. The bash script is sourced in bash and asked as bash asks
 * it (COMP_WORDS, COMP_CWORD, the function `complete -F` names); zsh and fish, where installed,
 * load theirs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, IMAGES, runCli, tempDir } from './cli-harness.js';

const has = (program: string) => spawnSync(program, [program === 'tmux' ? '-V' : '--version']).status === 0;
const bashQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

let dir = '';
const scripts: Record<string, string> = {};
beforeAll(async () => {
  dir = await tempDir('upscale-completion-');
  for (const shell of ['bash', 'zsh', 'fish']) {
    const run = await runCli(['completion', shell]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    scripts[shell] = join(dir, `upscale.${shell}`);
    await writeFile(scripts[shell]!, run.stdout);
  }
});

/** What bash offers for the words typed so far (the last one is being completed). */
function bashComplete(words: string[], cwd = dir): string[] {
  const asker = join(import.meta.dirname, 'bash-complete.sh');
  const out = execFileSync('bash', ['--norc', '--noprofile', asker, scripts.bash!, ...words], {
    cwd,
    encoding: 'utf8',
  });
  return out.split('\n').filter(Boolean);
}

describe('upscale completion bash', () => {
  it('completes `upscale --sc` to --scale', () => {
    expect(bashComplete(['upscale', '--sc'])).toEqual(['--scale']);
  });

  it.each([
    [['upscale', 'comp'], ['completion']],
    [
      ['upscale', 'completion', ''],
      ['bash', 'zsh', 'fish'],
    ],
    [['upscale', 'help', 'sta'], ['status']],
    [['upscale', 'config', 'u'], ['unset']],
    [
      ['upscale', '--engine', 's'],
      ['sharpy', 'sparkle'],
    ],
    [
      ['upscale', 'photo.jpg', '--scale', ''],
      ['2x', '3x', '4x', '8x', '16x'],
    ],
    [['upscale', '--scale', '=', '1'], ['16x']],
    [
      ['upscale', '-p', 'freepik-p'],
      ['freepik-precision', 'freepik-precision-v2'],
    ],
    [['upscale', '--provider', 'nov'], ['novita']],
    [
      ['upscale', '--resolution', ''],
      ['2k', '4k', '8k'],
    ],
    [
      ['upscale', '--flavor', 'photo'],
      ['photo', 'photo_denoiser'],
    ],
    [
      ['upscale', '--model', ''],
      ['photo', 'slim', 'medium', 'thick'],
    ],
    [['upscale', '--format', 'w'], ['webp']],
    [['upscale', 'status', '--j'], ['--json']],
    [
      ['upscale', 'providers', 'comfy'],
      ['comfy', 'comfy-precision-v2'],
    ],
    [
      ['upscale', 'local', 'add-'],
      ['add-runtime', 'add-model'],
    ],
  ])('%j → %j', (words, expected) => {
    expect(bashComplete(words)).toEqual(expected);
  });

  it('completes file names for inputs and -o, and no command after an input', () => {
    expect(bashComplete(['upscale', 'pho'], IMAGES).sort()).toEqual(['phone-p3.jpg', 'photo.jpg', 'photos']);
    expect(bashComplete(['upscale', 'photo.jpg', '-o', 'photos'], IMAGES)).toEqual(['photos']);
    // `upscale photo.jpg com…`: a second input, not the `completion` command.
    expect(bashComplete(['upscale', 'photo.jpg', 'comp'], IMAGES)).toEqual([]);
  });
});

// zsh's bashcompinit leaves the filtering to zsh itself: asked in a real interactive zsh (tmux).
describe.skipIf(!has('zsh') || !has('tmux'))('upscale completion zsh', () => {
  // A session of its own keeps the tmux server up between the tests (as in terminal.test.ts).
  const keeper = `upscale-zsh-keep-${process.pid}`;
  beforeAll(() => {
    execFileSync('tmux', ['new-session', '-d', '-s', keeper, 'sleep 600']);
  });
  afterAll(() => {
    spawnSync('tmux', ['kill-session', '-t', keeper]);
  });
  it.each([
    ['upscale --sc', 'upscale --scale'],
    ['upscale --engine spa', 'upscale --engine sparkle'],
    ['upscale completion f', 'upscale completion fish'],
  ])('completes %j in an interactive zsh', async (typed, expected) => {
    const home = join(dir, `zsh-${Math.random().toString(36).slice(2, 8)}`);
    await mkdir(home);
    await writeFile(
      join(home, '.zshrc'),
      [
        "PS1='> '",
        'autoload -U compinit && compinit -u',
        `upscale() { ${bashQuote(process.execPath)} ${bashQuote(BIN)} "$@"; }`,
        `source ${bashQuote(scripts.zsh!)}`,
        'echo READY',
      ].join('\n'),
    );
    const session = `upscale-zsh-${process.pid}-${Date.now()}`;
    const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '120',
      '-y',
      '10',
      `env ZDOTDIR=${bashQuote(home)} zsh -i`,
    );
    try {
      const screen = async (until: (s: string) => boolean) => {
        for (let i = 0; i < 100; i++) {
          const text = tmux('capture-pane', '-p', '-t', session);
          if (until(text)) return text;
          await new Promise((r) => setTimeout(r, 50));
        }
        return tmux('capture-pane', '-p', '-t', session);
      };
      await screen((s) => s.includes('READY'));
      tmux('send-keys', '-t', session, '-l', typed);
      tmux('send-keys', '-t', session, 'Tab');
      const text = await screen((s) => s.includes(expected));
      expect(text.split('\n').map((l) => l.trimEnd())).toContain(`> ${expected}`);
    } finally {
      tmux('kill-session', '-t', session);
    }
  });
});

describe.skipIf(!has('fish'))('upscale completion fish', () => {
  it.each([
    ['upscale --sc', ['--scale']],
    ['upscale --engine sp', ['sparkle']],
    ['upscale completion ', ['bash', 'fish', 'zsh']],
  ])('completes %j', (line, expected) => {
    const out = execFileSync(
      'fish',
      ['--no-config', '-c', `source ${bashQuote(scripts.fish!)}; complete -C ${bashQuote(line)}`],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]),
    ).toEqual(expected);
  });
});
