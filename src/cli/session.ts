/**
 * What every command that talks to a provider shares: options resolved from flags, env and
 * config; one HTTP client; one AbortController that Ctrl-C (or SIGTERM) aborts.
 */
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { type Connection, connect, type HttpClient } from '../api/connection.js';
import { usageError } from '../errors.js';
import {
  normalizeOptions,
  type OptionValues,
  paramsFromFlags,
  type ResolvedOptions,
  resolveProvider,
} from '../options.js';
import { type ConfigStore, openConfig } from './config-store.js';
import { STOP_EXIT, type StopReason } from './exit-code.js';
import type { Reporter } from './reporters/types.js';
import { addSecret, secrets } from './secrets.js';
import { whenStdoutCloses } from './stdio.js';

/** After the first Ctrl-C the process is gone within this, whatever is still in flight. */
export const EXIT_AFTER_INTERRUPT_MS = 1800;

export interface Session {
  readonly options: ResolvedOptions;
  readonly config: ConfigStore;
  readonly client: HttpClient;
  /** The provider's API; none for an in-process engine (nor under --dry-run without a key). */
  readonly connection: Connection | undefined;
  /** The provider's API, for commands about its tasks: a usage error for a provider without one. */
  remote(): Connection;
  readonly signal: AbortSignal;
  readonly journalDir: string;
  interrupted(): boolean;
  /** What stopped the run (Ctrl-C, SIGTERM, a closed terminal, stdout's reader gone), if anything did. */
  stopReason(): StopReason | undefined;
  /**
   * Told at once of Ctrl-C (or SIGTERM, SIGHUP, a closed stdout): `now` is false the first time
   * (the run is stopping), true the second (the process exits right after the listeners return).
   */
  onInterrupt(listener: (now: boolean, reason: StopReason) => void): void;
  /**
   * Resolves `graceMs` after the first Ctrl-C (never without one). The process exits within
   * EXIT_AFTER_INTERRUPT_MS of that Ctrl-C whatever is still in flight: everything paid is in the
   * ledger before it is sent, so the next run finishes it.
   */
  stopped(graceMs: number): Promise<void>;
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

/**
 * `flagTexts`: the provider's own flags as given (`--scale 4x`), read into typed values here, at
 * the CLI's edge, once the provider is known (it may come from the config).
 */
export async function openSession(
  values: OptionValues,
  flagTexts: Readonly<Record<string, string>> = {},
): Promise<Session> {
  addSecret(values.apiKey);
  const config = await openConfig();
  const params =
    Object.keys(flagTexts).length > 0
      ? paramsFromFlags(resolveProvider(values, config), flagTexts)
      : undefined;
  const options = normalizeOptions(params ? { ...values, params } : values, process.env, config);
  // Only for the HTTP parser: the local engine's WebAssembly needs the optimizing compiler (~1.5× faster).
  if (!options.provider.engine) keepWasmBaseline();
  addSecret(options.remote?.apiKey);
  let reporter: Reporter | undefined;
  const link = connect(options, {
    onRetry: (e) => reporter?.retry(e),
    onLog: (line) => reporter?.log(line),
    onBudgetWait: (until) => reporter?.budgetWait(until),
    secrets: secrets(),
  });
  const { client, connection } = link;
  const controller = new AbortController();
  let stoppedBy: StopReason | undefined;
  const listeners: ((now: boolean, reason: StopReason) => void)[] = [];
  const stop = (reason: StopReason) => {
    if (stoppedBy !== undefined) {
      // The reader leaving while the run stops changes nothing.
      if (reason === 'stdout') return;
      // A second signal means "now": the ledger is already on disk. The exit hook gives the
      // terminal back (see restoreTerminalOnExit).
      for (const listener of listeners) listener(true, stoppedBy);
      process.exit(STOP_EXIT[stoppedBy]);
    }
    stoppedBy = reason;
    controller.abort(new DOMException('interrupted', 'AbortError'));
    // Unref'd: a run that ends sooner exits sooner; one held by a straggler still exits.
    setTimeout(() => process.exit(STOP_EXIT[reason]), EXIT_AFTER_INTERRUPT_MS).unref();
    for (const listener of listeners) listener(false, reason);
  };
  // A closed terminal or a dropped ssh (SIGHUP) is a Ctrl-C nobody typed: submits on the wire are
  // let finish and recorded, as for Ctrl-C, instead of the default action's sudden death.
  const signals = {
    SIGINT: () => stop('SIGINT'),
    SIGTERM: () => stop('SIGTERM'),
    SIGHUP: () => stop('SIGHUP'),
  } as const;
  for (const [signal, handler] of Object.entries(signals)) process.on(signal, handler);
  const unwatchStdout = whenStdoutCloses(() => stop('stdout'));
  return {
    options,
    config,
    client,
    connection,
    remote: () => {
      if (connection) return connection;
      throw usageError(
        `${options.provider.id} runs on this machine: it has no tasks at a provider`,
        'upscale status, download and resume are for the cloud providers (-p freepik, …)',
      );
    },
    signal: controller.signal,
    journalDir: journalDirOf(config),
    interrupted: () => stoppedBy !== undefined,
    stopReason: () => stoppedBy,
    onInterrupt: (listener) => {
      listeners.push(listener);
    },
    stopped: (graceMs) =>
      new Promise<void>((resolve) => {
        listeners.push((now) => {
          if (!now) setTimeout(resolve, graceMs).unref();
        });
      }),
    attach: (r) => {
      reporter = r;
    },
    close: async () => {
      for (const [signal, handler] of Object.entries(signals)) process.off(signal, handler);
      unwatchStdout();
      await client.close();
    },
  };
}
