/**
 * Run by `npm run build` after tsc: writes dist/cli/cli-flags.json, the providers' flags as data,
 * so `--help` builds the command line without loading every provider module (see cli-flags.ts).
 */
import { writeFileSync } from 'node:fs';
import { PROVIDER_IDS, providers } from '../api/providers.js';
import { cliFlagsOf } from './cli-flags.js';

writeFileSync(
  new URL('./cli-flags.json', import.meta.url),
  `${JSON.stringify(cliFlagsOf(PROVIDER_IDS, providers))}\n`,
);
