/**
 * The commander program. It imports only commander, and takes the providers' flags as data, so
 * `--help` and `--version` stay fast; each command loads its heavy modules when it runs. Its own
 * flags are declared once, in flags.ts; the text after each command's help is in help-texts.ts.
 */
import { createRequire } from 'node:module';
import type * as Commander from 'commander';
import type { CliFlags } from './cli-flags.js';
import type { ConfigAction } from './commands/config.js';
import type { AddFlags } from './commands/local.js';
import type { TaskFlags } from './commands/tasks.js';
import type { UpscaleFlags } from './commands/upscale.js';
import type { WebhookFlags } from './commands/webhook.js';
import type { Shell } from './completion.js';
import { type CommandName, flagsOf } from './flags.js';
import { helpFooter } from './help-footer.js';
import { HELP_AFTER } from './help-texts.js';
import type { Terminal } from './terminal.js';
import { packageVersion } from './version.js';

// commander is CommonJS: require() skips the scan of its exports that an ESM import does (start-up time).
const { Argument, Command, Option } = createRequire(import.meta.url)('commander') as typeof Commander;
type Command = Commander.Command;

/**
 * Every command as a function of its typed arguments and flags, returning its exit code. Each
 * loads its own modules when it runs (src/cli/main.ts), so the program itself stays light.
 */
export interface Commands {
  /** `params`: the provider's own flags (`--scale`, `--engine`, …) by key, as given. */
  upscale(inputs: string[], flags: UpscaleFlags, params: Readonly<Record<string, string>>): Promise<number>;
  providers(ids: string[], json: boolean): Promise<number>;
  config(action: ConfigAction, args: string[]): Promise<number>;
  status(taskId: string | undefined, flags: TaskFlags): Promise<number>;
  download(taskId: string, flags: TaskFlags): Promise<number>;
  forget(what: string, flags: TaskFlags): Promise<number>;
  resume(flags: TaskFlags): Promise<number>;
  webhookVerify(bodyFile: string | undefined, flags: WebhookFlags): Promise<number>;
  localAddRuntime(flags: AddFlags): Promise<number>;
  localAddModel(model: string, flags: AddFlags): Promise<number>;
  /** `upscale version`, `--version --verbose`: with `verbose`, node, sharp/libvips and the local runtime. */
  version(verbose: boolean): Promise<number>;
  /** `upscale completion <shell>`: the script, made from `program` and the providers' flag values. */
  completion(shell: Shell, program: Command, providers: CliFlags): Promise<number>;
}

export interface Program {
  readonly command: Command;
  /** Parses `argv` (as `process.argv`), runs the command it names, and resolves with its exit code. */
  run(argv: readonly string[]): Promise<number>;
}

/** Adds the flags `name` takes (flags.ts) and the help text after them (help-texts.ts). */
function withFlags(command: Command, name: CommandName, ids: readonly string[]): Command {
  for (const flag of flagsOf(name, ids)) {
    const option = new Option(flag.flags, flag.help);
    command.addOption(flag.group ? option.helpGroup(flag.group) : option);
  }
  return withHelp(command, name);
}

function withHelp(command: Command, path: string): Command {
  const after = HELP_AFTER[path === 'upscale' ? '' : path];
  return after === undefined ? command : command.addHelpText('after', after);
}

const CONFIG_ACTIONS = [
  ['set', '<key> <value>', 'store a value'],
  ['get', '<key>', 'print a value (keys stay hidden)'],
  ['unset', '<key>', 'remove a value'],
  ['list', '', 'print every stored value (keys hidden)'],
  ['path', '', 'print the config file path'],
] as const;

/** The program; `providers` is what it needs of them (their modules load only when a command runs). */
export function buildProgram(term: Terminal, commands: Commands, providers: CliFlags): Program {
  // Help and --version run no command: exit 0.
  let exitCode = 0;
  const done = (code: number) => {
    exitCode = code;
  };
  const ids = providers.ids;
  const program = new Command('upscale')
    .description('Upscale images through cloud AI upscalers (Freepik/Magnific, Comfy, Novita).')
    .version(packageVersion(), '-V, --version')
    // Options after a subcommand belong to it (`upscale status <id> --json`), not to the program.
    .enablePositionalOptions()
    // Usage errors throw to main.ts (exit 2), also those of subcommands, which inherit this when
    // they are made below (set after them, a subcommand's error exited 1 from inside commander).
    .exitOverride()
    .argument('[inputs...]', 'image files or http(s):// URLs');
  withFlags(program, 'upscale', ids)
    .addHelpText('after', () => helpFooter())
    // A help command (upscale help status): commander adds none by itself to a program with an action.
    .helpCommand('help [command]', 'show the help of a command (upscale help status)')
    .showHelpAfterError('(run upscale --help for usage)')
    .configureOutput({
      writeOut: (s) => term.stdout.write(s),
      writeErr: (s) => term.stderr.write(s),
    })
    .action(async (inputs: string[], _flags: unknown, cmd: Command) => {
      const given = cmd.opts();
      const params = Object.fromEntries(
        paramKeys.filter((key) => given[key] !== undefined).map((key) => [key, String(given[key])]),
      );
      done(await commands.upscale(inputs, cmd.opts<UpscaleFlags>(), params));
    });
  const paramKeys: string[] = [];
  for (const { flag, description, group } of providers.options) {
    const option = new Option(flag, description).helpGroup(group);
    paramKeys.push(option.attributeName());
    program.addOption(option);
  }

  withFlags(
    program
      .command('providers')
      .description('list every provider: endpoint, key variable, flags with ranges and defaults, limits')
      .argument('[ids...]', 'only these providers'),
    'providers',
    ids,
  ).action(async (given: string[], _flags: unknown, cmd: Command) => {
    // `upscale --json providers` still works: the program's own --json is merged in.
    done(await commands.providers(given, Boolean(cmd.optsWithGlobals().json)));
  });

  const local = withHelp(
    program
      .command('local')
      .description('opt-in pieces of the offline engine (-p local): the fast runtime, more models'),
    'local',
  );
  withFlags(
    local
      .command('add-runtime')
      .description('install onnxruntime-node (CPU only) for -p local: about 4x faster'),
    'local add-runtime',
    ids,
  ).action(async (_flags: unknown, cmd: Command) => {
    done(await commands.localAddRuntime(cmd.opts<AddFlags>()));
  });
  withFlags(
    local
      .command('add-model <model>')
      .description('convert and add a local model that is not in the package (thick)'),
    'local add-model',
    ids,
  ).action(async (model: string, _flags: unknown, cmd: Command) => {
    done(await commands.localAddModel(model, cmd.opts<AddFlags>()));
  });

  const config = withHelp(
    program
      .command('config')
      .description('store API keys and defaults (file mode 0600; UPSCALE_CONFIG_DIR moves it)'),
    'config',
  );
  for (const [action, args, what] of CONFIG_ACTIONS) {
    withHelp(
      config.command(`${action}${args ? ` ${args}` : ''}`).description(what),
      `config ${action}`,
    ).action(async (...received: unknown[]) => {
      const positional = received.slice(0, args.split(' ').filter(Boolean).length) as string[];
      done(await commands.config(action, positional));
    });
  }

  withFlags(
    program
      .command('status [task-id]')
      .description('print the state of a task; without an id, list the paid tasks not yet collected'),
    'status',
    ids,
  ).action(async (taskId: string | undefined, _flags: unknown, cmd: Command) => {
    done(await commands.status(taskId, cmd.opts<TaskFlags>()));
  });

  withFlags(
    program.command('download <task-id>').description('wait for a task and download its result'),
    'download',
    ids,
  ).action(async (taskId: string, _flags: unknown, cmd: Command) => {
    done(await commands.download(taskId, cmd.opts<TaskFlags>()));
  });

  const webhook = withHelp(program.command('webhook').description('webhook helpers'), 'webhook');
  withFlags(
    webhook
      .command('verify [body-file]')
      .description(
        'check a Freepik/Magnific webhook signature (body from the file, or stdin); exit 0 valid, 1 not',
      ),
    'webhook verify',
    ids,
  ).action(async (bodyFile: string | undefined, _flags: unknown, cmd: Command) => {
    const json = Boolean(cmd.optsWithGlobals().json);
    done(await commands.webhookVerify(bodyFile, { ...cmd.opts<WebhookFlags>(), json }));
  });

  withFlags(
    program
      .command('forget <task-id|input>')
      .description('stop tracking a pending task (it stays paid, nothing will collect it)'),
    'forget',
    ids,
  ).action(async (what: string, _flags: unknown, cmd: Command) => {
    done(await commands.forget(what, cmd.opts<TaskFlags>()));
  });

  withFlags(
    program
      .command('resume')
      .description('collect every pending task (submitted by runs that were interrupted)'),
    'resume',
    ids,
  ).action(async (_flags: unknown, cmd: Command) => {
    done(await commands.resume(cmd.opts<TaskFlags>()));
  });

  withFlags(
    program
      .command('version')
      .description('print the version; with --verbose, also node, sharp/libvips and the local runtime'),
    'version',
    ids,
  ).action(async (_flags: unknown, cmd: Command) => {
    done(await commands.version(Boolean(cmd.opts().verbose)));
  });

  withHelp(
    program
      .command('completion')
      .description('print the shell completion script: commands, flags, providers, engines, scales')
      .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish'])),
    'completion',
  ).action(async (shell: Shell) => {
    done(await commands.completion(shell, program, providers));
  });
  return {
    command: program,
    run: async (argv) => {
      exitCode = 0;
      await program.parseAsync(argv);
      return exitCode;
    },
  };
}
