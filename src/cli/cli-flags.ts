/**
 * What the command line needs of the providers: their ids, and each provider flag with its help
 * line and help group. `npm run build` writes it to dist/cli/cli-flags.json
 * (write-cli-flags.ts), so `--help` and the option parser start without loading the
 * provider modules (13 ms of a 90 ms start); the adapters load when a command runs and check
 * the values. Without the file (tests run from src, a bare `tsc`) it is computed from them.
 */
import { createRequire } from 'node:module';
import type { Provider } from '../api/providers.js';

export interface CliFlags {
  readonly ids: readonly string[];
  readonly options: readonly {
    readonly flag: string;
    readonly description: string;
    readonly group: string;
    /** The values a shell may complete (`4x`, `sparkle`, …); empty for numbers in a range or text. */
    readonly values: readonly string[];
  }[];
}

/**
 * The words a valid-values text lists: `2x|4x|8x|16x` and `2x|3x, or any factor from …` list
 * theirs; a range (`-10..10`, `2..16`) or free text lists none.
 */
export function choicesOf(valid: string): string[] {
  const listed = valid.split(',')[0]!.trim();
  return listed.includes('|') ? listed.split('|').map((v) => v.trim()) : [];
}

/** One option per flag key, grouped by the providers that take it (the `magnific*` twins aside). */
export function cliFlagsOf(ids: readonly string[], providers: Readonly<Record<string, Provider>>): CliFlags {
  const primary = ids.filter((id) => !('sameApiAs' in providers[id]!));
  const byKey = new Map<
    string,
    { flag: string; description: string; owners: string[]; valid: Map<string, string[]> }
  >();
  for (const id of primary) {
    for (const spec of providers[id]!.params) {
      const entry = byKey.get(spec.key) ?? { ...spec, owners: [], valid: new Map<string, string[]>() };
      entry.owners.push(id);
      entry.valid.set(spec.valid, [...(entry.valid.get(spec.valid) ?? []), id]);
      byKey.set(spec.key, entry);
    }
  }
  const options = [...byKey.values()].map(({ flag, description, owners, valid }) => {
    // One flag, different ranges (`--scale`): say which provider takes which.
    const values =
      valid.size === 1
        ? [...valid.keys()][0]
        : [...valid].map(([text, owner]) => `${text} for ${owner.join(', ')}`).join('; ');
    const group =
      owners.length === primary.length
        ? 'Options for every provider:'
        : `Options for -p ${owners.join(', ')}:`;
    // Every provider's values of the flag, in order of size when they are scales.
    const words = [...new Set([...valid.keys()].flatMap(choicesOf))];
    if (words.every((w) => /^\d+x$/.test(w)))
      words.sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
    return { flag, description: `${description} (${values})`, group, values: words };
  });
  return { ids, options };
}

export async function loadCliFlags(): Promise<CliFlags> {
  try {
    return createRequire(import.meta.url)('./cli-flags.json') as CliFlags;
  } catch {
    const { PROVIDER_IDS, providers } = await import('../api/providers.js');
    return cliFlagsOf(PROVIDER_IDS, providers);
  }
}
