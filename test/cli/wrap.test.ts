import { describe, expect, it } from 'vitest';
import { fitToWidth, wrapLine } from '../../src/cli/wrap.js';

describe('wrapLine', () => {
  it('keeps a line that fits', () => {
    expect(wrapLine('  submit   POST https://api.freepik.com/v1', 80)).toEqual([
      '  submit   POST https://api.freepik.com/v1',
    ]);
  });

  it('breaks at spaces, continuing under the value', () => {
    const line = `  flags    --engine <engine>  Magnific model engine: ${'automatic illusio sharpy sparkle '.repeat(3).trim()}`;
    const lines = wrapLine(line, 60);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(60);
    const value = line.indexOf('Magnific');
    expect(lines.slice(1).every((l) => l.startsWith(' '.repeat(value)) && l[value] !== ' ')).toBe(true);
    expect(lines.map((l) => l.trim()).join(' ')).toBe(line.trim());
  });

  it('never cuts a word: a word longer than the width stays whole', () => {
    const long = `  root     ${'x'.repeat(90)} and more`;
    const lines = wrapLine(long, 80);
    expect(lines[0]).toBe(`  root     ${'x'.repeat(90)}`);
    expect(lines[1]?.trim()).toBe('and more');
  });
});

describe('fitToWidth', () => {
  it('leaves text alone off a terminal (no width)', () => {
    const text = 'a '.repeat(100);
    expect(fitToWidth(text, undefined)).toBe(text);
  });

  it('fits every line within the width, one column spare', () => {
    const text = ['short', 'word '.repeat(40).trim(), '  label    value '.repeat(8)].join('\n');
    for (const line of fitToWidth(text, 80).split('\n')) expect(line.length).toBeLessThan(80);
  });
});

describe('wrapLine with lists of values', () => {
  it('breaks a long a|b|c list after a bar', () => {
    const line = `           --optimized-for <style>  style: ${'soft_portraits|hard_portraits|'.repeat(4)}end`;
    const lines = wrapLine(line, 79);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(79);
    expect(lines.slice(0, -1).every((l) => l.endsWith('|') || !l.includes('|'))).toBe(true);
    expect(lines.map((l) => l.trim()).join('')).toBe(line.trim().replace('style: ', 'style:'));
  });

  it('breaks a URL longer than the room after a slash', () => {
    const url = 'http://127.0.0.1:42001/proxy/freepik/v1/ai/image-upscaler-precision-v2/{task_id}';
    const lines = wrapLine(`  status   GET ${url}`, 79);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(79);
    expect(lines.map((l) => l.trim()).join('')).toBe(`status   GET${url}`);
  });
});
