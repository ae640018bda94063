/** Entry point: parse, run one command, print errors in one place, set the exit code. */
import { existsSync } from 'node:fs';
import { toUpscaleError } from '../errors.js';
import { EXIT } from './exit-code.js';
import { buildProgram } from './program.js';
import { redactAll } from './secrets.js';
import { detectTerminal, formatError } from './terminal.js';

const term = detectTerminal();
const verbose = process.argv.includes('--verbose') || process.argv.includes('-v');

async function run(name: string, args: unknown[]): Promise<number> {
  switch (name) {
    case 'upscale': {
      const { upscaleCommand } = await import('./commands/upscale.js');
      return upscaleCommand(args[0] as string[], args[1] as never, term);
    }
    case 'config': {
      const { configCommand } = await import('./commands/config.js');
      return configCommand(args[0] as string, args[1] as string[], term);
    }
    case 'status': {
      const { statusCommand } = await import('./commands/tasks.js');
      return statusCommand(args[0] as string | undefined, args[1] as never, term);
    }
    case 'download': {
      const { downloadCommand } = await import('./commands/tasks.js');
      return downloadCommand(args[0] as string, args[1] as never, term);
    }
    case 'resume': {
      const { resumeCommand } = await import('./commands/tasks.js');
      return resumeCommand(args[0] as never, term);
    }
    case 'providers': {
      const { providersCommand } = await import('./commands/providers.js');
      return providersCommand(args[0] as string[], args[1] as boolean, term);
    }
    case 'webhook-verify': {
      const { webhookVerifyCommand } = await import('./commands/webhook.js');
      return webhookVerifyCommand(args[0] as string | undefined, args[1] as never, term, process.env);
    }
    default:
      throw new Error(`unknown command ${name}`);
  }
}

const program = buildProgram(term, run);
program.exitOverride();

try {
  await program.parseAsync(process.argv);
  const code = program.getOptionValue('__exit');
  process.exitCode = typeof code === 'number' ? code : EXIT.ok;
} catch (error) {
  const e = error as { code?: string; exitCode?: number };
  if (e.code === 'commander.unknownOption') {
    // A file whose name starts with a dash reads as an option: say how to pass it.
    const flag = /'([^']+)'/.exec(String((error as Error).message))?.[1];
    if (flag && existsSync(flag)) {
      term.stderr.write(`  hint: ${flag} is a file here: pass it as ./${flag}, or after --\n`);
    }
  }
  if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
    // commander already printed its message; help and version are not errors.
    const ok =
      e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
    process.exitCode = ok ? EXIT.ok : EXIT.usage;
  } else {
    const err = toUpscaleError(error);
    term.stderr.write(redactAll(formatError(err, term, verbose)));
    process.exitCode = err.isUsage || err.isPrecheck ? EXIT.usage : EXIT.failed;
  }
}
