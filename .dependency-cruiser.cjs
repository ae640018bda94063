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
      ['cli', 'run', 'api', 'image', 'providers', 'http', 'local'],
      'file helpers are the bottom layer',
    ),
    layer('local', ['http', 'cli', 'api', 'run'], 'the local engine never reaches the network'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(test|fixtures|dist|bench)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
