/** Importing src/local/index.ts must not load sharp, onnxruntime or model packages. */
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { staticImports, staticPackages } from '../static-imports.js';

const HEAVY = /^(sharp|onnxruntime-(web|node)|@upscalerjs\/)/;

it('index.ts pulls in only node built-ins and small local modules at import time', () => {
  const index = fileURLToPath(new URL('../../src/local/index.ts', import.meta.url));
  const specs = staticImports(index);
  expect(specs.filter((s) => HEAVY.test(s))).toEqual([]);
  expect(staticPackages(index)).toEqual([]);
  // The pipeline itself is only reached through dynamic import().
  expect(specs).not.toContain('./upscale.js');
  expect(specs).not.toContain('./engine.js');
});
