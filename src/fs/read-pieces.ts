/**
 * Reads a file in pieces through one buffer, reused from piece to piece. A stream would hand out
 * a new buffer per piece, and a 20 MB file would leave 20 MB of them for the garbage collector:
 * resident memory the size of the file, for nothing.
 */
import { open } from 'node:fs/promises';

/**
 * Yields `path` in pieces of exactly `size` bytes (the last one shorter). A piece is only valid
 * until the next one is asked for: use it or copy it.
 */
export async function* readPieces(path: string, size: number): AsyncGenerator<Buffer> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(size);
    for (;;) {
      let filled = 0;
      while (filled < size) {
        const { bytesRead } = await file.read(buffer, filled, size - filled, null);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled > 0) yield buffer.subarray(0, filled);
      if (filled < size) return;
    }
  } finally {
    await file.close();
  }
}
