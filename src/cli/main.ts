/** Entry point: parse, run one command, print errors in one place, set the exit code. */
import { EXIT } from './exit-code.js';
import type { Commands } from './program.js';
import { guardStdio } from './stdio.js';
import { detectTerminal } from './terminal.js';
import { packageVersion } from './version.js';

// `upscale --json … | head -1` closes stdout early, a closed terminal both streams: not a crash.
guardStdio();

const term = detectTerminal();
const verbose = process.argv.includes('--verbose') || process.argv.includes('-v');

/** The commands, each loaded when it runs. */
const commands: Commands = {
  upscale: async (inputs, flags, params) =>
    (await import('./commands/upscale.js')).upscaleCommand(inputs, flags, params, term),
  providers: async (ids, json) => (await import('./commands/providers.js')).providersCommand(ids, json, term),
  config: async (action, args) => (await import('./commands/config.js')).configCommand(action, args, term),
  status: async (taskId, flags) => (await import('./commands/tasks.js')).statusCommand(taskId, flags, term),
  download: async (taskId, flags) =>
    (await import('./commands/tasks.js')).downloadCommand(taskId, flags, term),
  forget: async (what, flags) => (await import('./commands/tasks.js')).forgetCommand(what, flags, term),
  resume: async (flags) => (await import('./commands/tasks.js')).resumeCommand(flags, term),
  webhookVerify: async (bodyFile, flags) =>
    (await import('./commands/webhook.js')).webhookVerifyCommand(bodyFile, flags, term, process.env),
  localAddRuntime: async (flags) => (await import('./commands/local.js')).addRuntimeCommand(flags, term),
  localAddModel: async (model, flags) =>
    (await import('./commands/local.js')).addModelCommand(model, flags, term),
  version: async (verbose) => (await import('./commands/version.js')).versionCommand(verbose, term),
  completion: async (shell, program, providers) =>
    (await import('./commands/completion.js')).completionCommand(shell, program, providers, term),
};

const VERSION_FLAGS = new Set(['--version', '-V']);
const VERBOSE_FLAGS = new Set(['--verbose', '-v']);

/** `upscale --version` alone answers before commander and the provider tables load: scripts call it often. */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length === 1 && VERSION_FLAGS.has(args[0]!)) {
    term.stdout.write(`${packageVersion()}\n`);
    return;
  }
  // `--version --verbose`: commander would answer --version alone.
  if (
    args.some((a) => VERSION_FLAGS.has(a)) &&
    args.every((a) => VERSION_FLAGS.has(a) || VERBOSE_FLAGS.has(a))
  ) {
    process.exitCode = await commands.version(true);
    return;
  }
  const [{ buildProgram }, { loadCliFlags }] = await Promise.all([
    import('./program.js'),
    import('./cli-flags.js'),
  ]);
  process.exitCode = await buildProgram(term, commands, await loadCliFlags()).run(process.argv);
}

/**
 * The exit code of a run that threw, after printing why. commander's own exits (help, version,
 * usage) cost nothing more; what prints a real error is loaded only then.
 */
async function exitCodeOf(error: unknown): Promise<number> {
  const e = error as { code?: string; exitCode?: number };
  if (e.code === 'commander.unknownOption') {
    // A file whose name starts with a dash reads as an option: say how to pass it.
    const flag = /'([^']+)'/.exec(String((error as Error).message))?.[1];
    const { existsSync } = await import('node:fs');
    if (flag && existsSync(flag)) {
      term.stderr.write(`  hint: ${flag} is a file here: pass it as ./${flag}, or after --\n`);
    } else if (flag && !/did you mean/i.test(String((error as Error).message))) {
      // commander suggests only for a bare flag; `--sacle=4x` gets no suggestion from it.
      const { closestFlag } = await import('./did-you-mean.js');
      const { loadCliFlags } = await import('./cli-flags.js');
      const { COMMAND_FLAGS, longOf } = await import('./flags.js');
      const known = (await loadCliFlags()).options.map((o) => o.flag.split(/[ ,]/)[0]!);
      // The providers' flags and the main command's own (flags.ts).
      const own = COMMAND_FLAGS.upscale.map(longOf);
      const near = closestFlag(flag, [...known, ...own]);
      if (near) term.stderr.write(`  hint: did you mean ${near}?\n`);
    }
  }
  if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
    // commander already printed its message; help and version are not errors.
    const ok =
      e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
    return ok ? EXIT.ok : EXIT.usage;
  }
  const [{ toUpscaleError }, { redactAll }, { formatError }] = await Promise.all([
    import('../errors.js'),
    import('./secrets.js'),
    import('./terminal.js'),
  ]);
  const err = toUpscaleError(error);
  term.stderr.write(redactAll(formatError(err, term, verbose)));
  return err.isUsage || err.isPrecheck ? EXIT.usage : EXIT.failed;
}

try {
  await main();
} catch (error) {
  process.exitCode = await exitCodeOf(error);
}
