/** The stored configuration (conf): keys and defaults per provider, file mode 0600. */
import { UpscaleError } from '../errors.js';
import type { ConfigReader } from '../options.js';

export interface ConfigStore extends ConfigReader {
  set(key: string, value: string): void;
  delete(key: string): void;
  readonly store: Record<string, unknown>;
  readonly path: string;
}

/** Loads conf lazily (it costs ~90 ms to import); UPSCALE_CONFIG_DIR moves the file. */
export async function openConfig(env: NodeJS.ProcessEnv = process.env): Promise<ConfigStore> {
  const { default: Conf } = await withoutNewSignalHandlers(() => import('conf'));
  const dir = env.UPSCALE_CONFIG_DIR;
  let conf: InstanceType<typeof Conf<Record<string, unknown>>>;
  try {
    conf = new Conf<Record<string, unknown>>({
      projectName: 'upscale',
      projectSuffix: '',
      ...(dir ? { cwd: dir } : {}),
      configFileMode: 0o600,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UpscaleError(
      'CONFIG',
      `cannot read the stored configuration${dir ? ` in ${dir}` : ''} (${code ?? (error as Error).message})`,
      {
        hint: 'fix or remove the config file, or point UPSCALE_CONFIG_DIR at a folder you can write',
        cause: error,
      },
    );
  }
  return {
    get: (key) => conf.get(key),
    set: (key, value) => conf.set(key, value),
    delete: (key) => conf.delete(key),
    get store() {
      return conf.store;
    },
    path: conf.path,
  };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * conf's file writer (atomically → when-exit) installs SIGINT/SIGTERM/SIGHUP handlers that end
 * the process at once, which would defeat our Ctrl-C and hang-up handling (finish submits on the
 * wire, record them, exit 130 or 129). Its writes are atomic without them, so the handlers it adds
 * are removed.
 */
async function withoutNewSignalHandlers<T>(load: () => Promise<T>): Promise<T> {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const loaded = await load();
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.off(signal, listener as () => void);
    }
  }
  return loaded;
}
