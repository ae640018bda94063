import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // e2e tests spawn the CLI and an emulator; two cores in CI.
    pool: 'forks',
    maxWorkers: 2,
    // The bundled onnxruntime-web files (copied into dist/runtime by the build) load their wasm
    // factory with import(); Node must run them as it would in an install, not Vite's runner.
    server: { deps: { external: [/\/dist\/runtime\//] } },
  },
});
