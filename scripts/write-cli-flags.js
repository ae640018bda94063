// Run by `npm run build` after tsc: writes dist/cli/cli-flags.json, the providers' flags as data
// for the command line (see src/cli/cli-flags.ts).
import { writeFileSync } from 'node:fs';

const { cliFlagsOf } = await import('../dist/cli/cli-flags.js');
const { PROVIDER_IDS, providers } = await import('../dist/providers/index.js');
writeFileSync(
  new URL('../dist/cli/cli-flags.json', import.meta.url),
  `${JSON.stringify(cliFlagsOf(PROVIDER_IDS, providers))}\n`,
);
