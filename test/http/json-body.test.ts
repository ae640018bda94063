import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES, encodeJsonBody } from '../../src/http/json-body.js';

async function collect(chunks: AsyncIterable<Buffer | string>): Promise<{ text: string; sizes: number[] }> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return { text: Buffer.concat(parts).toString(), sizes: parts.map((p) => p.length) };
}

describe('encodeJsonBody', () => {
  const dir = mkdtemp(join(tmpdir(), 'upscale-body-'));

  it.each([0, 1, 2, 3, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 2])(
    'streams a %d-byte image as the JSON a whole string would give, with the declared length',
    async (size) => {
      const bytes = randomBytes(size);
      const path = join(await dir, `image-${size}.bin`);
      await writeFile(path, bytes);
      const body = encodeJsonBody({
        prompt: 'un renard «roux»',
        image: { kind: 'file', path, size },
        scale: 2,
      });
      const { text, sizes } = await collect(body.chunks());
      expect(text).toBe(
        JSON.stringify({ prompt: 'un renard «roux»', image: bytes.toString('base64'), scale: 2 }),
      );
      expect(Buffer.byteLength(text)).toBe(body.length);
      // Base64 pieces never exceed the encoding of one chunk: the image is never whole in memory.
      expect(Math.max(...sizes)).toBeLessThanOrEqual((CHUNK_BYTES / 3) * 4 + 100);
    },
  );

  it('gives the same bytes again for a retry', async () => {
    const path = join(await dir, 'again.bin');
    await writeFile(path, randomBytes(1000));
    const body = encodeJsonBody({ image: { kind: 'file', path, size: 1000 } });
    expect((await collect(body.chunks())).text).toBe((await collect(body.chunks())).text);
  });
});
