import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Test files that run the built CLI as a child process: directly (test/e2e), through the docs'
 * commands (test/docs), the GitHub Action and CI recipes (test/ci), or from an install
 * (test/local). `npm run test:unit` runs every other file (`vitest run --project unit`; the
 * local engine's tests read the built models in dist/); `npm test` runs both projects.
 * test/unit-project.test.ts checks that no file that spawns the CLI is left out of this list.
 */
export const CLI_TESTS = [
  'test/e2e/**/*.test.ts',
  'test/docs/**/*.test.ts',
  'test/ci/**/*.test.ts',
  'test/local/add.test.ts',
  'test/local/pack-install.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // e2e tests spawn the CLI and an emulator; two cores in CI.
    pool: 'forks',
    maxWorkers: 2,
    // The bundled onnxruntime-web files (copied into dist/runtime by the build) load their wasm
    // factory with import(); Node must run them as it would in an install, not Vite's runner.
    server: { deps: { external: [/\/dist\/runtime\//] } },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // One process per worker, not per file: the files of this project start no process and
          // share the loaded node_modules and the warmed-up local engine. test/unit-setup.ts gives
          // each file fresh modules and puts the environment back after it. (Process per file:
          // about 30 s more CPU over the project's ~60 files; see CONTRIBUTING.md.)
          isolate: false,
          setupFiles: ['test/unit-setup.ts'],
          // V8 recompiles a WebAssembly function with its optimizing compiler once it has run about
          // 1.8 MB of its code (the tiering budget). With that default, the local engine's tests
          // (many sessions, small images) had V8 optimise some 150 functions of onnxruntime's
          // module in each worker, most of them code that runs only a little (one of 490 kB took
          // 0.85 s to compile), about 1 s of CPU per worker. A hundred times the budget still
          // optimises the ~10 hot kernels within the first images, and little else: about 3 s less
          // CPU and 1.4 s less wall time for the project (three interleaved pairs of runs, idle).
          // It changes when code is compiled, never what it computes.
          execArgv: ['--wasm-tiering-budget=180000000'],
          // A third worker computes while another waits on an emulator's timers or a rate-limit
          // window (about 30 s of this project's time is such waiting). Its own group, after the
          // cli project's, as vitest runs projects with different worker counts.
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...CLI_TESTS],
        },
      },
      { extends: true, test: { name: 'cli', include: CLI_TESTS } },
    ],
  },
});
