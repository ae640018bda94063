/** `npm run test:unit` leaves out exactly the test files that spawn the CLI (see vitest.config.ts). */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { globSync } from 'tinyglobby';
import { expect, it } from 'vitest';
import { CLI_TESTS } from '../vitest.config.js';

const ROOT = resolve(import.meta.dirname, '..');
/** What starts the CLI in a test: the e2e harness, the action and docs runners, an installed copy. */
const SPAWNS = /\b(?:runCli|runCliBehind|spawnCollect|spawnRun|runAction|runShell|packAndInstall)\(|\bBIN\b/;

it('every test file that spawns the CLI is in the cli project, and only those are left out of unit', async () => {
  const all = globSync('test/**/*.test.ts', { cwd: ROOT }).sort();
  const cli = new Set(globSync(CLI_TESTS, { cwd: ROOT }));
  const spawning: string[] = [];
  for (const file of all) if (SPAWNS.test(await readFile(resolve(ROOT, file), 'utf8'))) spawning.push(file);
  expect(spawning.filter((f) => !cli.has(f))).toEqual([]);
  // The unit project is most of the suite, and holds the run core's own tests.
  const unit = all.filter((f) => !cli.has(f));
  expect(unit).toEqual(expect.arrayContaining(['test/run/remote-task.test.ts', 'test/http/client.test.ts']));
  expect(spawning.length).toBeGreaterThan(20);
});
