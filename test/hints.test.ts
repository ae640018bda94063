/**
 * Every command a message or hint names exists: a hint that sends the user to `upscale status
 * --list` (which never existed) is a dead end. Walks the source for `upscale <command> …` in
 * backticks and checks each against the program's commands and their options.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCliFlags } from '../src/cli/cli-flags.js';
import { buildProgram } from '../src/cli/program.js';

const SRC = resolve(import.meta.dirname, '../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** `upscale <words>` quoted in backticks in the source, with the file it is in. */
function namedCommands(): { file: string; text: string }[] {
  return sources(SRC).flatMap((file) =>
    // In template literals the backticks are escaped: `\`upscale resume\``.
    [...readFileSync(file, 'utf8').matchAll(/`upscale ([a-z][^`$]*?)\\?`/g)].map((m) => ({
      file,
      text: m[1]!,
    })),
  );
}

describe('hints name commands that exist', async () => {
  const term = { stdout: process.stdout, stderr: process.stderr, isTTY: false, color: false };
  const none = async () => 0;
  const program = buildProgram(
    term as never,
    {
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
    },
    await loadCliFlags(),
  ).command;
  const commands = new Map(program.commands.map((c) => [c.name(), c]));

  it('finds the commands hints name', () => {
    expect(namedCommands().length).toBeGreaterThan(20);
  });

  it.each(namedCommands().map((c) => [c.text, c.file]))('`upscale %s` (%s)', (text) => {
    const [name, ...rest] = text.split(/\s+/);
    const command = commands.get(name!);
    expect(command, `no command "${name}"`).toBeDefined();
    const flags = command!.options.flatMap((o) => [o.long, o.short].filter(Boolean));
    const subcommands = command!.commands.map((c) => c.name());
    for (const word of rest) {
      if (word.startsWith('--')) expect(flags, `${name} has no ${word}`).toContain(word.split('=')[0]);
      else if (subcommands.length > 0 && rest.indexOf(word) === 0)
        for (const alternative of word.split('|')) expect(subcommands).toContain(alternative);
    }
  });
});
