/**
 * What every command that talks to a provider shares: options resolved from flags, env and
 * config; one HTTP client; one AbortController that Ctrl-C (or SIGTERM) aborts.
 */
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { connect } from '../api/connection.js';
import type { HttpClient } from '../http/client.js';
import { normalizeOptions, type OptionValues, type ResolvedOptions } from '../options.js';
import { isLocalProvider } from '../providers/types.js';
import type { Connection } from '../run/provider-api.js';
import { type ConfigStore, openConfig } from './config-store.js';
import { EXIT } from './exit-code.js';
import type { Reporter } from './reporters/types.js';
import { addSecret, secrets } from './secrets.js';

export interface Session {
  readonly options: ResolvedOptions;
  readonly config: ConfigStore;
  readonly client: HttpClient;
  readonly connection: Connection;
  readonly signal: AbortSignal;
  readonly journalDir: string;
  interrupted(): boolean;
  /** Routes retries and --verbose lines to the reporter once it exists. */
  attach(reporter: Reporter): void;
  close(): Promise<void>;
}

/** The journal folder: `journal/` beside the config file (UPSCALE_CONFIG_DIR moves both). */
export function journalDirOf(config: ConfigStore): string {
  return join(dirname(config.path), 'journal');
}

/**
 * undici parses HTTP in WebAssembly. V8 would recompile its parser's hot function with its
 * optimizing compiler after the first few requests: about 30 MB of memory (on top of a run's
 * 90 MB) and a fraction of a second of CPU, in every run, for a parser that reads a few small
 * JSON answers and hands download bodies through untouched. The baseline code is fast enough.
 */
function keepWasmBaseline(): void {
  setFlagsFromString('--liftoff-only');
}

export async function openSession(values: OptionValues): Promise<Session> {
  addSecret(values.apiKey);
  const config = await openConfig();
  const options = normalizeOptions(values, process.env, config);
  // Only for the HTTP parser: the local engine's WebAssembly needs the optimizing compiler (~1.5× faster).
  if (!isLocalProvider(options.provider)) keepWasmBaseline();
  addSecret(options.apiKey);
  let reporter: Reporter | undefined;
  const connection = connect(options, {
    onRetry: (e) => reporter?.retry(e),
    onLog: (line) => reporter?.log(line),
    onBudgetWait: (until) => reporter?.budgetWait(until),
    secrets: secrets(),
  });
  const { client } = connection;
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    // A second Ctrl-C means "now": the journal is already on disk.
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    controller.abort(new DOMException('interrupted', 'AbortError'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    options,
    config,
    client,
    connection,
    signal: controller.signal,
    journalDir: journalDirOf(config),
    interrupted: () => interrupted,
    attach: (r) => {
      reporter = r;
    },
    close: async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await client.close();
    },
  };
}
