/**
 * `npm pack` / `npm publish`: the packed package.json leaves out `prepare`. In a clone, `prepare`
 * is what makes `npm install` build; in a user's install it would only make npm warn about an
 * install script it will not run (npm 11: "install scripts not yet covered by allowScripts").
 * `prepack` strips it after building and keeps the original beside it; `postpack` puts it back.
 *
 *   node dist/build/pack-manifest.js strip | restore
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const MANIFEST = 'package.json';
const BACKUP = '.package.json.before-pack';

/** The package.json users get, from the repository's. */
export function packedManifest(text: string): string {
  const manifest = JSON.parse(text) as { scripts?: Record<string, string> };
  if (manifest.scripts) delete manifest.scripts.prepare;
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

function strip(): void {
  // A backup left by a pack that failed before postpack is the original: never overwrite it.
  const original = existsSync(BACKUP) ? readFileSync(BACKUP, 'utf8') : readFileSync(MANIFEST, 'utf8');
  writeFileSync(BACKUP, original);
  writeFileSync(MANIFEST, packedManifest(original));
}

function restore(): void {
  if (existsSync(BACKUP)) renameSync(BACKUP, MANIFEST);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const mode = process.argv[2];
  if (mode === 'strip') strip();
  else if (mode === 'restore') restore();
  else {
    process.stderr.write('usage: pack-manifest.js strip|restore\n');
    process.exitCode = 2;
  }
}
