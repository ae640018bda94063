/**
 * Which way imports may run in src/ (CONTRIBUTING.md): the library never reaches the CLI,
 * providers stay pure, the HTTP layer knows no images or providers, the local engine no
 * network, and no import circles. Type-only imports count: they are still coupling.
 * Checked by test/imports.test.ts; `npx depcruise src` prints the same verdict.
 */
const layer = (name, mayNotImport, why) => ({
  name: `${name}-imports-no-${mayNotImport.join('-')}`,
  comment: why,
  severity: 'error',
  from: { path: `^src/${name}(/|\\.ts$)` },
  to: { path: `^src/(${mayNotImport.join('|')})(/|\\.ts$)` },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'files that import each other cannot be read, tested or loaded one at a time',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    layer('run', ['cli'], 'the library never touches the terminal'),
    layer('api', ['cli'], 'the library never touches the terminal'),
    layer('image', ['cli', 'run', 'api'], 'image work is below the run'),
    layer('providers', ['cli', 'run', 'api', 'http', 'image', 'local'], 'providers are pure adapters'),
    layer(
      'http',
      ['cli', 'run', 'api', 'image', 'providers', 'local'],
      'the HTTP layer moves bytes it is handed',
    ),
    layer(
      'fs',
      ['cli', 'run', 'api', 'image', 'providers', 'http', 'local', 'store'],
      'file helpers are the bottom layer',
    ),
    layer(
      'store',
      ['cli', 'run', 'api', 'image', 'providers', 'local'],
      'output stores keep files (outputs, recipes, ledger, claims) and know no run, image or provider',
    ),
    layer('local', ['http', 'cli', 'api', 'run'], 'the local engine never reaches the network'),
    {
      name: 'cli-imports-only-api-options-errors',
      comment:
        'a command is a thin shell over a library call a script could make too: src/cli/ reaches ' +
        'the library through src/api/ (re-exports and small functions), plus options.ts (flags → ' +
        'typed options) and errors.ts (codes and hints). Also allowed: formats.ts and some-of.ts, ' +
        'pure leaves (no import, no I/O: data and a string helper) that every layer uses alike, ' +
        'so a re-export would only add a name. Everything else (run/, providers/, http/, image/, ' +
        'local/, fs/, webhooks.ts, index.ts) goes through src/api/.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: {
        path: '^src/',
        pathNot: '^src/(cli/|api/|options\\.ts$|errors\\.ts$|formats\\.ts$|some-of\\.ts$)',
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(test|fixtures|dist|bench)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
