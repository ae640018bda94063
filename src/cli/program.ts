/**
 * The commander program. It imports only commander, and takes the providers' flags as data, so
 * `--help` and `--version` stay fast; each command loads its heavy modules when it runs.
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
import { helpFooter } from './help-footer.js';
import type { Terminal } from './terminal.js';
import { packageVersion } from './version.js';

// commander is CommonJS: require() skips the scan of its exports that an ESM import does (start-up time).
const { Argument, Command, Option } = createRequire(import.meta.url)('commander') as typeof Commander;
type Command = Commander.Command;
type Option = Commander.Option;

const EXAMPLES = `
Examples:
  $ upscale photo.jpg --engine sparkle --scale 4x        # writes photo@4x.<ext> next to photo.jpg
  $ upscale photo.jpg -p local --scale 4x                # offline, no key: runs on this machine
  $ upscale photo.jpg -o big.png --prompt "a red fox"     # name the output file
  $ upscale photo.jpg --scale 8x --dry-run                # check limits, print the request, send nothing
  $ upscale a.jpg b.png -o upscaled/ --json | jq .output  # several inputs into a folder, JSON lines out
  $ upscale photos/ -r -o big/ --concurrency 8            # a folder tree, mirrored into big/
  $ find . -name '*.png' | upscale - -o out/              # inputs from stdin
  $ upscale 'shots/**/*.jpg' --shard 2/3 --json           # CI job 2 of 3 takes a stable third
  $ upscale photo.jpg -p freepik-precision-v2 --scale 4 --flavor photo
  $ upscale https://example.com/a.jpg -p novita --resolution 4k --format png
  $ upscale photo.jpg --format webp --quality 85          # convert; EXIF, GPS and ICC carried over
  $ upscale shots/ --width 3840 --fit --dry-run           # sizes and estimated price per input and in total
  $ upscale shots/ --scale 4x --max-cost 5                # refuse to start above €5 (estimated)
  $ upscale webhook verify --secret "$SECRET" --id … --timestamp … --signature … body.json
  $ upscale config set freepik.apiKey <key>               # store the key (file mode 0600)
  $ upscale providers                                     # every provider: endpoint, key, flags, limits

The magnific, magnific-precision and magnific-precision-v2 ids are the three Freepik upscalers on
api.magnific.com (header x-magnific-api-key) and take the same flags as their freepik twins.

Exit codes: 0 all succeeded or skipped, 1 some input failed, 2 usage/config error or every
input refused before sending, 130 interrupted (run the same command again to resume), 129 the
terminal closed (as Ctrl-C), 141 stdout's reader left before the end (the paid tasks are kept).`;

/** What the output file is: format, quality, metadata, transparency, size; and the price cap. */
function outputOptions(): Option[] {
  const group = 'Output file and cost:';
  return [
    new Option(
      '--format <format>',
      "keep (the input's), png, jpeg, webp, avif or tiff (default: as the provider returns it)",
    ),
    new Option('--quality <1-100>', 'JPEG/WebP/AVIF quality when the output is encoded (default 92/90/60)'),
    new Option(
      '--strip-metadata',
      "drop the input's EXIF, XMP, IPTC and ICC profile (default: carried over)",
    ),
    new Option(
      '--background <colour>',
      'colour under transparency when the format has none (default #ffffff)',
    ),
    new Option(
      '--fit',
      "downscale an input just enough for the provider's output limit instead of refusing it",
    ),
    new Option('--width <px>', 'output width: the smallest scale that reaches it, then resized down exactly'),
    new Option('--height <px>', 'output height (with --width: fits inside both, aspect kept)'),
    new Option('--max-cost <amount>', 'refuse to start (exit 2) when the estimated total is above this'),
  ].map((option) => option.helpGroup(group));
}

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

/** The program; `providers` is what it needs of them (their modules load only when a command runs). */
export function buildProgram(term: Terminal, commands: Commands, providers: CliFlags): Program {
  // Help and --version run no command: exit 0.
  let exitCode = 0;
  const done = (code: number) => {
    exitCode = code;
  };
  const program = new Command('upscale')
    .description('Upscale images through cloud AI upscalers (Freepik/Magnific, Comfy, Novita).')
    .version(packageVersion(), '-V, --version')
    // Options after a subcommand belong to it (`upscale status <id> --json`), not to the program.
    .enablePositionalOptions()
    // Usage errors throw to main.ts (exit 2), also those of subcommands, which inherit this when
    // they are made below (set after them, a subcommand's error exited 1 from inside commander).
    .exitOverride()
    .argument('[inputs...]', 'image files or http(s):// URLs')
    .option('-p, --provider <id>', `provider: ${providers.ids.join(', ')}`, undefined)
    .option('-o, --output <path>', 'output file (one input, image extension) or folder')
    .option('--overwrite', 'redo inputs whose output already exists (default: skip them)')
    .option('--dry-run', 'check everything and print what would be sent; send nothing')
    .option('--json', 'one JSON result line per input on stdout, nothing else there')
    .option('-q, --quiet', 'print only errors')
    .option('-v, --verbose', 'log every request (keys redacted) and show stack traces')
    .option('--api-key <key>', 'API key (else the provider variable, else the stored config)')
    .option('--base-url <url>', "the provider's API root")
    .option(
      '--key-header <style>',
      'how the key is sent: x-freepik-api-key or x-magnific-api-key (Freepik, Magnific), bearer or x-api-key (Comfy)',
    )
    .option('--poll-interval <ms>', 'first wait between status polls; grows with the task age', undefined)
    .option('--timeout <seconds>', 'longest one task may take (default 1800)')
    .option('--request-timeout <seconds>', 'longest wait for one answer from a server (default 60)')
    .option(
      '--concurrency <n>',
      'tasks in flight at once (default: as many as the request budget keeps busy, 4–64; 1 for -p local)',
    )
    .option(
      '--rate-limit <n/period>',
      "API requests allowed per key, polls included, e.g. 50/min, 20/3s, or off (default: the provider's, 50/min for Freepik/Magnific; learned from its headers)",
    )
    .option('-r, --recursive', 'descend into sub-folders of folder inputs')
    .option(
      '--name <template>',
      'output name: {name} {scale} {provider} {inext}, extension added (default "{name}@{scale}")',
    )
    .option(
      '--shard <i/n|auto>',
      "process a stable 1/n of the inputs (CI job i of n); auto reads the job's index and count from GitLab, CircleCI, Buildkite, Cloud Run Jobs or Google Batch (auto/<n> for AWS Batch array jobs and Kubernetes Indexed Jobs)",
    )
    .option(
      '--resubmit-uncertain',
      'send again a submit whose answer was lost when the task list cannot tell whether it created a task (may pay twice)',
    )
    .addHelpText('after', EXAMPLES)
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
  for (const option of outputOptions()) program.addOption(option);
  const paramKeys: string[] = [];
  for (const { flag, description, group } of providers.options) {
    const option = new Option(flag, description).helpGroup(group);
    paramKeys.push(option.attributeName());
    program.addOption(option);
  }

  program
    .command('providers')
    .description('list every provider: endpoint, key variable, flags with ranges and defaults, limits')
    .argument('[ids...]', 'only these providers')
    .option('--json', 'a JSON array on stdout')
    .addHelpText(
      'after',
      `
Examples:
  $ upscale providers
  $ upscale providers novita local
  $ upscale providers --json | jq -r '.[] | .id + "  " + .submit'`,
    )
    .action(async (ids: string[], _flags: unknown, cmd: Command) => {
      // `upscale --json providers` still works: the program's own --json is merged in.
      done(await commands.providers(ids, Boolean(cmd.optsWithGlobals().json)));
    });

  const local = program
    .command('local')
    .description('opt-in pieces of the offline engine (-p local): the fast runtime, more models')
    .addHelpText(
      'after',
      `
Examples:
  $ upscale local add-runtime          # onnxruntime-node, CPU only: ~4x faster, ~50 MB on disk
  $ upscale local add-model thick      # the best local model (57 MB); slow without add-runtime
  $ upscale providers local            # which runtime and models -p local uses, and how fast

Both install into your data folder (UPSCALE_DATA_DIR moves it); remove it to undo.`,
    );
  local
    .command('add-runtime')
    .description('install onnxruntime-node (CPU only) for -p local: about 4x faster')
    .option('--from <tgz|folder>', 'install from a local onnxruntime-node package instead of the registry')
    .option('--json', 'one JSON line on stdout')
    .action(async (_flags: unknown, cmd: Command) => {
      done(await commands.localAddRuntime(cmd.opts<AddFlags>()));
    });
  local
    .command('add-model <model>')
    .description('convert and add a local model that is not in the package (thick)')
    .option('--from <tgz|folder>', 'convert from a local @upscalerjs package instead of the registry')
    .option('--json', 'one JSON line on stdout')
    .action(async (model: string, _flags: unknown, cmd: Command) => {
      done(await commands.localAddModel(model, cmd.opts<AddFlags>()));
    });

  const config = program
    .command('config')
    .description('store API keys and defaults (file mode 0600; UPSCALE_CONFIG_DIR moves it)')
    .addHelpText(
      'after',
      `
Examples:
  $ upscale config set freepik.apiKey <key>
  $ upscale config set freepik.baseUrl https://api.magnific.com
  $ upscale config get freepik.baseUrl
  $ upscale config unset freepik.apiKey
  $ upscale config list          # keys are shown as (set, hidden)
  $ upscale config path`,
    );
  for (const [action, args, what, example] of [
    ['set', '<key> <value>', 'store a value', 'upscale config set novita.apiKey <key>'],
    ['get', '<key>', 'print a value (keys stay hidden)', 'upscale config get freepik.baseUrl'],
    ['unset', '<key>', 'remove a value', 'upscale config unset comfy.keyHeader'],
    ['list', '', 'print every stored value (keys hidden)', 'upscale config list'],
    ['path', '', 'print the config file path', 'upscale config path          # UPSCALE_CONFIG_DIR moves it'],
  ] as const) {
    config
      .command(`${action}${args ? ` ${args}` : ''}`)
      .description(what)
      .addHelpText('after', `\nExample:\n  $ ${example}`)
      .action(async (...received: unknown[]) => {
        const positional = received.slice(0, args.split(' ').filter(Boolean).length) as string[];
        done(await commands.config(action, positional));
      });
  }
  const connectionOptions = (cmd: Command) =>
    cmd
      .option('-p, --provider <id>', `provider: ${providers.ids.join(', ')}`)
      .option('--api-key <key>', 'API key (else the provider variable, else the stored config)')
      .option('--base-url <url>', "the provider's API root")
      .option('--key-header <style>', 'how the key is sent')
      .option('--rate-limit <n/period>', 'API requests allowed per key (e.g. 50/min, or off)')
      .option('--json', 'JSON on stdout')
      .option('-q, --quiet', 'print only errors')
      .option('-v, --verbose', 'log every request (keys redacted)');

  connectionOptions(
    program
      .command('status [task-id]')
      .description('print the state of a task; without an id, list the paid tasks not yet collected'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ upscale status 046b6c7f-0b8a-43b9-b35d-6489e6daee91
  $ upscale status 1a2b3c -p novita --json
  $ upscale status                     # tasks submitted but not yet collected`,
    )
    .action(async (taskId: string | undefined, _flags: unknown, cmd: Command) => {
      done(await commands.status(taskId, cmd.opts<TaskFlags>()));
    });

  connectionOptions(
    program.command('download <task-id>').description('wait for a task and download its result'),
  )
    .option('-o, --output <path>', 'output file or folder (default: <task-id>.<ext> here)')
    .option('--overwrite', 'replace an existing file')
    .option('--poll-interval <ms>', 'first wait between status polls')
    .option('--timeout <seconds>', 'longest to wait')
    .addHelpText(
      'after',
      `
Examples:
  $ upscale download 046b6c7f-0b8a-43b9-b35d-6489e6daee91 -o photo@4x.png
  $ upscale download 1a2b3c -p novita -o results/`,
    )
    .action(async (taskId: string, _flags: unknown, cmd: Command) => {
      done(await commands.download(taskId, cmd.opts<TaskFlags>()));
    });

  program
    .command('webhook')
    .description('webhook helpers')
    .addHelpText(
      'after',
      `
Example:
  $ upscale webhook verify --secret "$SECRET" --id msg_1 --timestamp 1718000000 --signature "v1,…" body.json`,
    )
    .command('verify [body-file]')
    .description(
      'check a Freepik/Magnific webhook signature (body from the file, or stdin); exit 0 valid, 1 not',
    )
    .option('--secret <secret>', 'signing secret (else UPSCALE_WEBHOOK_SECRET)')
    .option('--id <id>', 'the webhook-id header')
    .option('--timestamp <seconds>', 'the webhook-timestamp header')
    .option('--signature <value>', 'the webhook-signature header (space-separated v1,<base64> entries)')
    .option('--max-age <seconds>', 'also refuse a timestamp further than this from now')
    .option('--json', 'print {"valid":…,"reason":…} on stdout')
    .addHelpText(
      'after',
      `
The secret is used as UTF-8 bytes; a Standard Webhooks secret (whsec_<base64>) is also tried decoded.

Examples:
  $ upscale webhook verify --secret "$SECRET" --id msg_1 --timestamp 1718000000 --signature "v1,…" body.json
  $ curl-dump-body | upscale webhook verify --id … --timestamp … --signature … -`,
    )
    .action(async (bodyFile: string | undefined, _flags: unknown, cmd: Command) => {
      const json = Boolean(cmd.optsWithGlobals().json);
      done(await commands.webhookVerify(bodyFile, { ...cmd.opts<WebhookFlags>(), json }));
    });

  program
    .command('forget <task-id|input>')
    .description('stop tracking a pending task (it stays paid, nothing will collect it)')
    .option('--json', 'one JSON line per forgotten entry on stdout')
    .option('-q, --quiet', 'print only errors')
    .addHelpText(
      'after',
      `
Examples:
  $ upscale status                         # what is pending, with task ids and inputs
  $ upscale forget 046b6c7f-0b8a-43b9-b35d-6489e6daee91
  $ upscale forget photos/cat.jpg          # e.g. a lost submit you checked on the dashboard`,
    )
    .action(async (what: string, _flags: unknown, cmd: Command) => {
      done(await commands.forget(what, cmd.opts<TaskFlags>()));
    });

  program
    .command('resume')
    .description('collect every pending task (submitted by runs that were interrupted)')
    .option('--api-key <key>', 'API key (else the provider variable, else the stored config)')
    .option('--json', 'JSON result lines on stdout')
    .option('--concurrency <n>', 'tasks collected at once (default 4)')
    .option('--rate-limit <n/period>', 'API requests allowed per key (e.g. 50/min, or off)')
    .option('--overwrite', 'replace existing outputs')
    .option('-q, --quiet', 'print only errors')
    .option('-v, --verbose', 'log every request (keys redacted)')
    .addHelpText(
      'after',
      `
Examples:
  $ upscale resume
  $ upscale resume --json | jq -r .output`,
    )
    .action(async (_flags: unknown, cmd: Command) => {
      done(await commands.resume(cmd.opts<TaskFlags>()));
    });
  program
    .command('version')
    .description('print the version; with --verbose, also node, sharp/libvips and the local runtime')
    .option('-v, --verbose', 'node, sharp and libvips, and the local engine’s runtime, one per line')
    .addHelpText(
      'after',
      `
Examples:
  $ upscale version
  $ upscale --version --verbose          # the same as upscale version --verbose`,
    )
    .action(async (_flags: unknown, cmd: Command) => {
      done(await commands.version(Boolean(cmd.opts().verbose)));
    });

  program
    .command('completion')
    .description('print the shell completion script: commands, flags, providers, engines, scales')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      `
Install (then open a new shell):
  bash:  echo 'source <(upscale completion bash)' >> ~/.bashrc
  zsh:   echo 'source <(upscale completion zsh)' >> ~/.zshrc      # after compinit
  fish:  upscale completion fish > ~/.config/fish/completions/upscale.fish

Examples:
  $ upscale completion bash > ~/.local/share/bash-completion/completions/upscale
  $ upscale --sc<Tab>                    # completes --scale; upscale --engine <Tab> lists the engines`,
    )
    .action(async (shell: Shell) => {
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
