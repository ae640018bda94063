/**
 * Every flag of the program's own, declared once: its commander text, help line, help group, how
 * the library takes its value and what a shell completes it with; then, per command, which flags
 * it takes (in the order its help lists them). The commander program (program.ts), the options
 * read into OptionValues (flag-values.ts), the did-you-mean list (main.ts) and shell completion
 * are made from this. The providers' own flags (`--scale`, …) come from cli-flags.json.
 * Imports nothing at run time: `--help` loads it.
 */
import type { NumberOptionKey } from '../options.js';

/** What a flag gives the library: its text or `true` as it is, or a number read by its rule. */
export type FlagOption = 'as-is' | { readonly number: NumberOptionKey };

export interface FlagSpec {
  /** commander's flag text: `-p, --provider <id>`, `--dry-run`. */
  readonly flags: string;
  /** The help line; `{providers}` stands for the provider ids, `{default}` for `default`. */
  readonly help: string;
  readonly group?: string;
  /** Set for the flags that become OptionValues (flag-values.ts). */
  readonly option?: FlagOption;
  /** What a shell completes its value with: fixed words, or file names. */
  readonly completes?: readonly string[] | 'files';
}

const OUTPUT_GROUP = 'Output file and cost:';

/** The flags, by the name commander gives their value (`--dry-run` → `dryRun`). */
export const FLAGS = {
  provider: { flags: '-p, --provider <id>', help: 'provider: {providers}', option: 'as-is' },
  output: {
    flags: '-o, --output <path>',
    help: 'output file (one input, image extension) or folder',
    completes: 'files',
  },
  overwrite: { flags: '--overwrite', help: 'redo inputs whose output already exists (default: skip them)' },
  dryRun: {
    flags: '--dry-run',
    help: 'check everything and print what would be sent; send nothing',
    option: 'as-is',
  },
  json: { flags: '--json', help: 'one JSON result line per input on stdout, nothing else there' },
  quiet: { flags: '-q, --quiet', help: 'print only errors' },
  verbose: { flags: '-v, --verbose', help: 'log every request (keys redacted) and show stack traces' },
  apiKey: {
    flags: '--api-key <key>',
    help: 'API key (else the provider variable, else the stored config)',
    option: 'as-is',
  },
  baseUrl: { flags: '--base-url <url>', help: "the provider's API root", option: 'as-is' },
  keyHeader: {
    flags: '--key-header <style>',
    help: 'how the key is sent: x-freepik-api-key or x-magnific-api-key (Freepik, Magnific), bearer or x-api-key (Comfy)',
    option: 'as-is',
    completes: ['x-freepik-api-key', 'x-magnific-api-key', 'bearer', 'x-api-key'],
  },
  pollInterval: {
    flags: '--poll-interval <ms>',
    help: 'first wait between status polls; grows with the task age',
    option: { number: 'pollIntervalMs' },
  },
  timeout: {
    flags: '--timeout <seconds>',
    help: 'longest one task may take (default 1800)',
    option: { number: 'timeoutMs' },
  },
  requestTimeout: {
    flags: '--request-timeout <seconds>',
    help: 'longest wait for one answer from a server (default 60)',
    option: { number: 'requestTimeoutMs' },
  },
  concurrency: {
    flags: '--concurrency <n>',
    help: 'tasks in flight at once (default: as many as the request budget keeps busy, 4–64; 1 for -p local)',
    option: { number: 'concurrency' },
  },
  rateLimit: {
    flags: '--rate-limit <n/period>',
    help: "API requests allowed per key, polls included, e.g. 50/min, 20/3s, or off (default: the provider's, 50/min for Freepik/Magnific; learned from its headers)",
    option: 'as-is',
    completes: ['off', '50/min', '30/min', '10/min'],
  },
  recursive: { flags: '-r, --recursive', help: 'descend into sub-folders of folder inputs' },
  name: {
    flags: '--name <template>',
    help: 'output name: {name} {scale} {provider} {inext}, extension added (default "{name}@{scale}")',
  },
  shard: {
    flags: '--shard <i/n|auto>',
    help: "process a stable 1/n of the inputs (CI job i of n); auto reads the job's index and count from GitLab, CircleCI, Buildkite, Cloud Run Jobs or Google Batch (auto/<n> for AWS Batch array jobs and Kubernetes Indexed Jobs)",
    completes: ['auto', '1/2', '2/2', '1/3', '2/3', '3/3'],
  },
  resubmitUncertain: {
    flags: '--resubmit-uncertain',
    help: 'send again a submit whose answer was lost when the task list cannot tell whether it created a task (may pay twice)',
  },
  format: {
    flags: '--format <format>',
    help: "keep (the input's), png, jpeg, webp, avif or tiff (default: as the provider returns it)",
    group: OUTPUT_GROUP,
    option: 'as-is',
    completes: ['keep', 'png', 'jpeg', 'webp', 'avif', 'tiff'],
  },
  quality: {
    flags: '--quality <1-100>',
    help: 'JPEG/WebP/AVIF quality when the output is encoded (default 92/90/60)',
    group: OUTPUT_GROUP,
    option: { number: 'quality' },
  },
  stripMetadata: {
    flags: '--strip-metadata',
    help: "drop the input's EXIF, XMP, IPTC and ICC profile (default: carried over)",
    group: OUTPUT_GROUP,
    option: 'as-is',
  },
  background: {
    flags: '--background <colour>',
    help: 'colour under transparency when the format has none (default #ffffff)',
    group: OUTPUT_GROUP,
    option: 'as-is',
  },
  fit: {
    flags: '--fit',
    help: "downscale an input just enough for the provider's output limit instead of refusing it",
    group: OUTPUT_GROUP,
    option: 'as-is',
  },
  width: {
    flags: '--width <px>',
    help: 'output width: the smallest scale that reaches it, then resized down exactly',
    group: OUTPUT_GROUP,
    option: { number: 'width' },
  },
  height: {
    flags: '--height <px>',
    help: 'output height (with --width: fits inside both, aspect kept)',
    group: OUTPUT_GROUP,
    option: { number: 'height' },
  },
  maxCost: {
    flags: '--max-cost <amount>',
    help: 'refuse to start (exit 2) when the estimated total is above this',
    group: OUTPUT_GROUP,
    option: { number: 'maxCost' },
  },
  from: { flags: '--from <tgz|folder>', help: '', completes: 'files' },
  secret: { flags: '--secret <secret>', help: 'signing secret (else UPSCALE_WEBHOOK_SECRET)' },
  id: { flags: '--id <id>', help: 'the webhook-id header' },
  timestamp: { flags: '--timestamp <seconds>', help: 'the webhook-timestamp header' },
  signature: {
    flags: '--signature <value>',
    help: 'the webhook-signature header (space-separated v1,<base64> entries)',
  },
  maxAge: { flags: '--max-age <seconds>', help: 'also refuse a timestamp further than this from now' },
} as const satisfies Record<string, FlagSpec>;

export type FlagName = keyof typeof FLAGS;

/** `upscale resume` collects this many tasks at once unless `--concurrency` says otherwise. */
export const RESUME_CONCURRENCY = 4;

/**
 * A flag a command takes: its name, or its name with the help line it has there (where it means
 * something narrower than in the main command) and the default that line names.
 */
export type CommandFlag = FlagName | readonly [FlagName, string] | readonly [FlagName, string, number];

/** What each command takes; `upscale` is the main command (`upscale <inputs...>`). */
export const COMMAND_FLAGS = {
  upscale: [
    'provider',
    'output',
    'overwrite',
    'dryRun',
    'json',
    'quiet',
    'verbose',
    'apiKey',
    'baseUrl',
    'keyHeader',
    'pollInterval',
    'timeout',
    'requestTimeout',
    'concurrency',
    'rateLimit',
    'recursive',
    'name',
    'shard',
    'resubmitUncertain',
    'format',
    'quality',
    'stripMetadata',
    'background',
    'fit',
    'width',
    'height',
    'maxCost',
  ],
  providers: [['json', 'a JSON array on stdout']],
  'local add-runtime': [
    ['from', 'install from a local onnxruntime-node package instead of the registry'],
    ['json', 'one JSON line on stdout'],
  ],
  'local add-model': [
    ['from', 'convert from a local @upscalerjs package instead of the registry'],
    ['json', 'one JSON line on stdout'],
  ],
  status: [
    'provider',
    'apiKey',
    'baseUrl',
    'keyHeader',
    'rateLimit',
    ['json', 'JSON on stdout'],
    'quiet',
    'verbose',
  ],
  download: [
    'provider',
    'apiKey',
    'baseUrl',
    'keyHeader',
    'rateLimit',
    ['json', 'JSON on stdout'],
    'quiet',
    'verbose',
    ['output', 'output file or folder (default: <task-id>.<ext> here)'],
    ['overwrite', 'replace an existing file'],
    ['pollInterval', 'first wait between status polls'],
    ['timeout', 'longest to wait'],
  ],
  'webhook verify': [
    'secret',
    'id',
    'timestamp',
    'signature',
    'maxAge',
    ['json', 'print {"valid":…,"reason":…} on stdout'],
  ],
  forget: [['json', 'one JSON line per forgotten entry on stdout'], 'quiet'],
  resume: [
    'apiKey',
    ['json', 'JSON result lines on stdout'],
    ['concurrency', 'tasks collected at once (default {default})', RESUME_CONCURRENCY],
    'rateLimit',
    ['overwrite', 'replace existing outputs'],
    'quiet',
    'verbose',
  ],
  version: [['verbose', 'node, sharp and libvips, and the local engine’s runtime, one per line']],
} as const satisfies Record<string, readonly CommandFlag[]>;

export type CommandName = keyof typeof COMMAND_FLAGS;

/** One flag of a command as its help shows it. */
export interface CommandFlagHelp {
  readonly name: FlagName;
  readonly flags: string;
  readonly help: string;
  readonly group?: string;
}

/** The flags of `command`, in order, with their help there (`providers`: the ids `-p` takes). */
export function flagsOf(command: CommandName, providers: readonly string[]): CommandFlagHelp[] {
  return COMMAND_FLAGS[command].map((entry: CommandFlag) => {
    const [name, own, byDefault] = typeof entry === 'string' ? [entry] : entry;
    const spec: FlagSpec = FLAGS[name];
    const help = (own ?? spec.help)
      .replace('{providers}', providers.join(', '))
      .replace('{default}', String(byDefault));
    return { name, flags: spec.flags, help, ...(spec.group ? { group: spec.group } : {}) };
  });
}

/** The long name of a flag (`--provider`). */
export function longOf(name: FlagName): string {
  return FLAGS[name].flags.split(/[ ,]+/).find((word) => word.startsWith('--'))!;
}
