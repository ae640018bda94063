/** The stored configuration (conf): keys and defaults per provider, file mode 0600. */
import type { ConfigReader } from '../options.js';

export interface ConfigStore extends ConfigReader {
  set(key: string, value: string): void;
  delete(key: string): void;
  readonly store: Record<string, unknown>;
  readonly path: string;
}

/** Loads conf lazily (it costs ~90 ms to import); UPSCALE_CONFIG_DIR moves the file. */
export async function openConfig(env: NodeJS.ProcessEnv = process.env): Promise<ConfigStore> {
  const { default: Conf } = await import('conf');
  const dir = env.UPSCALE_CONFIG_DIR;
  const conf = new Conf<Record<string, unknown>>({
    projectName: 'upscale',
    projectSuffix: '',
    ...(dir ? { cwd: dir } : {}),
    configFileMode: 0o600,
  });
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
