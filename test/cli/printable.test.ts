import { describe, expect, it } from 'vitest';
import { printable } from '../../src/cli/printable.js';

describe('printable', () => {
  it.each([
    ['photo.jpg', 'photo.jpg'],
    ['a\nb.png', 'a\\nb.png'],
    ['a\r\tb', 'a\\r\\tb'],
    ['\u001b[2Jx.png', '\\u001b[2Jx.png'],
    ['x\u202egnp.exe', 'x\\u202egnp.exe'],
    ['\u007f\u0085', '\\u007f\\u0085'],
    ['café 東京.png', 'café 東京.png'],
  ])('%j → %j', (name, shown) => {
    expect(printable(name)).toBe(shown);
  });
});
