/**
 * sharp, undici, conf and ora each cost about 90 ms to import: the CLI's entry and its upscale
 * command must load none of them up front. undici in particular comes with the first request,
 * so a run that sends none (-p local) never pays for it.
 */
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { staticPackages } from '../static-imports.js';

const packagesOf = (file: string) =>
  staticPackages(fileURLToPath(new URL(`../../src/${file}`, import.meta.url)));

it('the CLI entry and the upscale command import no package at load time', () => {
  expect(packagesOf('cli/main.ts')).toEqual([]);
  expect(packagesOf('cli/commands/upscale.ts')).toEqual([]);
});

it('the HTTP layer imports undici only when it sends', () => {
  expect(packagesOf('http/client.ts')).not.toContain('undici');
});
