/** `upscale completion bash|zsh|fish`: prints the script (stdout: it is the data asked for). */
import type * as Commander from 'commander';
import type { CliFlags } from '../cli-flags.js';
import { type Completions, completionScript, completionTree, type Shell } from '../completion.js';
import { FLAGS, type FlagName, type FlagSpec, longOf } from '../flags.js';
import type { Terminal } from '../terminal.js';

const FILES: Completions = { words: [], files: true };
const NONE: Completions = { words: [], files: false };
const words = (list: readonly string[]): Completions => ({ words: list, files: false });

/** Values of the program's own flags (flags.ts), by long name; the providers' come from cli-flags.json. */
const OWN_VALUES: ReadonlyMap<string, Completions> = new Map(
  (Object.keys(FLAGS) as FlagName[]).flatMap((name) => {
    const { completes }: FlagSpec = FLAGS[name];
    if (completes === undefined) return [];
    return [[longOf(name), completes === 'files' ? FILES : words(completes)] as const];
  }),
);

export async function completionCommand(
  shell: Shell,
  program: Commander.Command,
  providers: CliFlags,
  term: Terminal,
): Promise<number> {
  const byFlag = new Map(providers.options.map((o) => [o.flag.split(/[ ,]/)[0]!, words(o.values)]));
  const nodes = completionTree(program, {
    flag: (long) =>
      long === '--provider' ? words(providers.ids) : (OWN_VALUES.get(long) ?? byFlag.get(long) ?? NONE),
    args: (path, command) => {
      const joined = path.join(' ');
      if (joined === '') return FILES; // inputs
      if (joined === 'providers') return words(providers.ids);
      if (joined === 'forget' || joined === 'webhook verify') return FILES;
      // Arguments with fixed choices (`completion <shell>`).
      const choices = command.registeredArguments.flatMap((a) => a.argChoices ?? []);
      return choices.length > 0 ? words(choices) : NONE;
    },
  });
  term.stdout.write(completionScript(shell, program.name(), nodes));
  return 0;
}
