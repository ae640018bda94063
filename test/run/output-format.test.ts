import { describe, expect, it } from 'vitest';
import type { ImageFormat } from '../../src/formats.js';
import type { OutputTarget } from '../../src/run/naming.js';
import { type OutputMaker, outputFormat } from '../../src/run/output-plan.js';

const named = (path: string, format: ImageFormat): OutputTarget => ({
  dir: '.',
  stem: 'x',
  fixed: { path, format },
});
const asked = (format?: ImageFormat): OutputTarget => ({
  dir: '.',
  stem: 'x',
  ...(format ? { format } : {}),
});

describe('outputFormat: the one rule for an output’s format', () => {
  it.each<[string, OutputTarget, OutputMaker, ImageFormat | undefined]>([
    ['-o big.webp wins over a download', named('big.webp', 'webp'), { download: 'png' }, 'webp'],
    ['-o big.webp wins over the engine’s own', named('big.webp', 'webp'), { engineFrom: 'a.jpg' }, 'webp'],
    ['--format tiff wins over a download', asked('tiff'), { download: 'jpeg' }, 'tiff'],
    ['a download stays as it came', asked(), { download: 'jpeg' }, 'jpeg'],
    ['nothing asked, before the download', asked(), { download: undefined }, undefined],
    ['asked, before the download', asked('avif'), { download: undefined }, 'avif'],
    ['the engine keeps a JPEG input’s format', asked(), { engineFrom: 'photos/a.JPG' }, 'jpeg'],
    ['the engine keeps WebP', asked(), { engineFrom: 'a.webp', hasAlpha: true }, 'webp'],
    ['a JPEG with transparency: PNG', asked(), { engineFrom: 'a.jpg', hasAlpha: true }, 'png'],
    ['a GIF input: PNG', asked(), { engineFrom: 'a.gif' }, 'png'],
    ['an input without an image extension: PNG', asked(), { engineFrom: 'scan' }, 'png'],
  ])('%s', (_, target, maker, expected) => {
    expect(outputFormat({ target }, maker)).toBe(expected);
  });
});
