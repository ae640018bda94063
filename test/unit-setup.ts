/**
 * Runs before each file of the unit project (`setupFiles` in vitest.config.ts). That project does
 * not start a process per file (`isolate: false`): each worker runs its files one after another,
 * so Node, the node_modules, sharp and the local engine's WebAssembly runtime (compiled and warmed
 * up once per worker, not once per file) are loaded once. What a file could leak to the next is
 * reset here instead: every module of this repository is evaluated afresh for each file (its own
 * module-level state, its own `vi.mock`s), and after each file the environment variables, the
 * working folder, timers, stubs and mocks are put back as they were.
 */
import { afterAll, vi } from 'vitest';

vi.resetModules();

const env = { ...process.env };
const cwd = process.cwd();

afterAll(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  Object.assign(process.env, env);
  if (process.cwd() !== cwd) process.chdir(cwd);
});
