/** Importing src/local/index.ts must not load sharp, onnxruntime or model packages. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const HEAVY = /^(sharp|onnxruntime-(web|node)|@upscalerjs\/)/;

/** Static (non-type) imports of a module and, recursively, of the local modules it imports. */
function staticImports(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const src = readFileSync(file, 'utf8');
  const specs = [...src.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)].map(
    (m) => m[1]!,
  );
  return specs.flatMap((s) =>
    s.startsWith('.') ? [s, ...staticImports(join(dirname(file), s.replace(/\.js$/, '.ts')), seen)] : [s],
  );
}

it('index.ts pulls in only node built-ins and small local modules at import time', () => {
  const index = fileURLToPath(new URL('../../src/local/index.ts', import.meta.url));
  const specs = staticImports(index);
  expect(specs.filter((s) => HEAVY.test(s))).toEqual([]);
  expect(specs.filter((s) => !s.startsWith('.') && !s.startsWith('node:'))).toEqual([]);
  // The pipeline itself is only reached through dynamic import().
  expect(specs).not.toContain('./upscale.js');
  expect(specs).not.toContain('./engine.js');
});
