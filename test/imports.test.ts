/**
 * Which way imports may run (CONTRIBUTING.md): the library never reaches the CLI, providers stay pure,
 * the HTTP layer knows no images or providers, the local engine no network — and no circles.
 * Read from the import statements of src/ (type-only imports count too: they are still coupling).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** file (relative to src) → the src files it imports. */
function graph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) =>
      relative(SRC, resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'))),
    );
    edges.set(relative(SRC, file), [...new Set(targets)]);
  }
  return edges;
}

const edges = graph();
const area = (file: string) => (file.includes('/') ? file.split('/')[0]! : file.replace(/\.ts$/, ''));

/** Known before this test existed; issue 17 (one typed options object, one HTTP path) removes them. */
const KNOWN = new Set([
  'providers/types.ts → image/formats.ts',
  'http/client.ts → providers/types.ts',
  'http/json-body.ts → image/read-pieces.ts',
  'http/json-body.ts → providers/types.ts',
  'image/precheck.ts → image/sizing.ts → image/precheck.ts',
]);

const FORBIDDEN: readonly [from: string, to: readonly string[], why: string][] = [
  ['run', ['cli'], 'the library never touches the terminal'],
  ['api', ['cli'], 'the library never touches the terminal'],
  ['image', ['cli', 'run', 'api'], 'image work is below the run'],
  ['providers', ['cli', 'run', 'api', 'http', 'image', 'local'], 'providers are pure adapters'],
  ['http', ['cli', 'run', 'api', 'image', 'providers', 'local'], 'the HTTP layer moves bytes it is handed'],
  ['fs', ['cli', 'run', 'api', 'image', 'providers', 'http', 'local'], 'file helpers are the bottom layer'],
  ['local', ['http', 'cli', 'api', 'run'], 'the local engine never reaches the network'],
];

describe('import directions', () => {
  it.each(FORBIDDEN)('src/%s/ imports none of %j (%s)', (from, to) => {
    const bad = [...edges]
      .filter(([file]) => area(file) === from)
      .flatMap(([file, targets]) => targets.filter((t) => to.includes(area(t))).map((t) => `${file} → ${t}`));
    expect(bad.filter((b) => !KNOWN.has(b))).toEqual([]);
  });

  it('has no import circles', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      path.push(file);
      for (const next of edges.get(file) ?? []) {
        if (state.get(next) === 'open') circles.push([...path.slice(path.indexOf(next)), next].join(' → '));
        else if (!state.has(next)) visit(next);
      }
      path.pop();
      state.set(file, 'done');
    };
    for (const file of edges.keys()) if (!state.has(file)) visit(file);
    expect(circles.filter((c) => !KNOWN.has(c))).toEqual([]);
  });
});
