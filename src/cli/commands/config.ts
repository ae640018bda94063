/** `upscale config set|get|unset|list|path`: keys and defaults, stored with mode 0600. */

import { getProvider, PROVIDER_IDS } from '../../api/providers.js';
import { usageError } from '../../errors.js';
import { openConfig } from '../config-store.js';
import type { Terminal } from '../terminal.js';

const PROVIDER_KEYS = ['apiKey', 'baseUrl', 'keyHeader', 'rateLimit'] as const;
/** Providers of one account share a section (`freepik` for the three Freepik upscalers). */
const SECTIONS = [...new Set(PROVIDER_IDS.flatMap((id) => getProvider(id).api?.configSection ?? []))];
export const CONFIG_KEYS: readonly string[] = [
  'provider',
  ...SECTIONS.flatMap((section) => PROVIDER_KEYS.map((k) => `${section}.${k}`)),
];

function checkKey(key: string): void {
  if (!CONFIG_KEYS.includes(key)) {
    throw usageError(`config: unknown key "${key}"`, `known keys: ${CONFIG_KEYS.join(', ')}`);
  }
}

const isSecret = (key: string) => key.endsWith('.apiKey');

/** Keys are never printed: only whether one is set and its length. */
function shown(key: string, value: unknown): string {
  if (isSecret(key) && typeof value === 'string') return `(set, ${value.length} characters, hidden)`;
  return String(value);
}

function flatten(prefix: string, value: unknown, out: [string, unknown][]): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
  } else out.push([prefix, value]);
}

/** The `upscale config` subcommands. */
export type ConfigAction = 'set' | 'get' | 'unset' | 'list' | 'path';

export async function configCommand(action: ConfigAction, args: string[], term: Terminal): Promise<number> {
  const config = await openConfig();
  const out = (line: string) => term.stdout.write(`${line}\n`);
  switch (action) {
    case 'set': {
      const [key, value] = args;
      if (key === undefined || value === undefined)
        throw usageError(
          'config set needs a key and a value',
          'e.g. upscale config set freepik.apiKey <key>',
        );
      checkKey(key);
      config.set(key, value);
      term.stderr.write(`saved ${key} in ${config.path}\n`);
      return 0;
    }
    case 'get': {
      const [key] = args;
      if (key === undefined)
        throw usageError('config get needs a key', 'e.g. upscale config get freepik.baseUrl');
      checkKey(key);
      const value = config.get(key);
      if (value === undefined) {
        term.stderr.write(`${key} is not set\n`);
        return 1;
      }
      out(shown(key, value));
      return 0;
    }
    case 'unset': {
      const [key] = args;
      if (key === undefined)
        throw usageError('config unset needs a key', 'e.g. upscale config unset freepik.apiKey');
      checkKey(key);
      config.delete(key);
      return 0;
    }
    case 'list': {
      const entries: [string, unknown][] = [];
      flatten('', config.store, entries);
      for (const [key, value] of entries) out(`${key}=${shown(key, value)}`);
      return 0;
    }
    case 'path':
      out(config.path);
      return 0;
    default:
      throw usageError(`config: unknown action "${action}"`, 'use set, get, unset, list or path');
  }
}
