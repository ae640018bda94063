import { describe, expect, it } from 'vitest';
import { loadCliFlags } from '../../src/cli/cli-flags.js';
import { optionValuesOf } from '../../src/cli/flag-values.js';
import {
  COMMAND_FLAGS,
  type CommandName,
  FLAGS,
  flagsOf,
  longOf,
  RESUME_CONCURRENCY,
} from '../../src/cli/flags.js';
import { buildProgram, type Commands } from '../../src/cli/program.js';

const none = async () => 0;
const commands: Commands = {
  upscale: none,
  providers: none,
  config: none,
  status: none,
  download: none,
  forget: none,
  resume: none,
  webhookVerify: none,
  localAddRuntime: none,
  localAddModel: none,
  version: none,
  completion: none,
};
const term = { stdout: process.stdout, stderr: process.stderr, isTTY: false, color: false };
const cliFlags = await loadCliFlags();
const program = buildProgram(term as never, commands, cliFlags).command;

/** The commander command at `path` (`'local add-model'`; `'upscale'` is the program). */
function commandAt(path: CommandName) {
  if (path === 'upscale') return program;
  return path.split(' ').reduce((cmd, name) => cmd.commands.find((c) => c.name() === name)!, program);
}

describe('flags declared once (src/cli/flags.ts)', () => {
  it('every declared flag is taken by some command', () => {
    const taken = new Set(
      Object.values(COMMAND_FLAGS).flatMap((list) => list.map((e) => (typeof e === 'string' ? e : e[0]))),
    );
    expect(Object.keys(FLAGS).filter((name) => !taken.has(name as never))).toEqual([]);
  });

  it.each(Object.keys(COMMAND_FLAGS) as CommandName[])(
    '`%s` gets exactly its declared flags, in order',
    (path) => {
      const declared = flagsOf(path, cliFlags.ids).map((f) => [f.flags, f.help]);
      const own = commandAt(path)
        .options.filter((o) => o.long !== '--version' && !cliFlags.options.some((p) => p.flag === o.flags))
        .map((o) => [o.flags, o.description]);
      expect(own).toEqual(declared);
    },
  );

  it('says the default resume uses, and names the providers -p takes', () => {
    const concurrency = flagsOf('resume', []).find((f) => f.name === 'concurrency');
    expect(concurrency?.help).toBe(`tasks collected at once (default ${RESUME_CONCURRENCY})`);
    const provider = flagsOf('status', ['a', 'b']).find((f) => f.name === 'provider');
    expect(provider?.help).toBe('provider: a, b');
  });

  it('gives the long name of a flag with a short one', () => {
    expect(longOf('provider')).toBe('--provider');
    expect(longOf('dryRun')).toBe('--dry-run');
  });
});

describe('optionValuesOf reads every option flag it declares', () => {
  it('passes text and switches on under the option of the same name', () => {
    expect(
      optionValuesOf({ provider: 'novita', apiKey: 'k', dryRun: true, keyHeader: 'bearer', fit: true }),
    ).toEqual({ provider: 'novita', apiKey: 'k', dryRun: true, keyHeader: 'bearer', fit: true });
  });

  it('reads each number by its rule, naming the flag it came from', () => {
    expect(optionValuesOf({ pollInterval: '500', requestTimeout: '2', width: '100' })).toEqual({
      pollIntervalMs: 500,
      requestTimeoutMs: 2000,
      width: 100,
    });
    expect(() => optionValuesOf({ requestTimeout: '-1' })).toThrow('--request-timeout "-1"');
    expect(() => optionValuesOf({ height: '1.5' })).toThrow('--height "1.5"');
  });
});
