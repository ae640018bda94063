/**
 * An uncompressed PNG written band by band, as the last model pass finishes each row of tiles: the
 * engine never holds the whole output (8000×6000 RGB is 144 MB), only one band of it. Stored
 * deflate blocks (no compression, no CPU), filter 0 on every row, one IDAT chunk per band; sharp
 * then reads the file as it goes.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { LocalSpoolError } from './errors.js';
import type { Pixels } from './pixels.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** A stored deflate block holds at most this many bytes. */
const MAX_STORED = 65_535;
/** Adler-32 sums may run this many bytes before their modulo (zlib's NMAX). */
const ADLER_RUN = 5552;
/**
 * 1,000 pixels a metre: what sharp gives raw samples (1 a millimetre), so the file reads as they
 * would (libvips reads a PNG without pHYs as 72 dpi, and writes that on).
 */
const PHYS = Buffer.from([0, 0, 0x03, 0xe8, 0, 0, 0x03, 0xe8, 1]);
/** PNG colour types by samples a pixel: grey, grey + alpha, RGB, RGBA. */
const COLOUR_TYPE = { 1: 0, 2: 4, 3: 2, 4: 6 } as const;

export interface PngSpool {
  /** Appends whole rows of interleaved samples (8-bit, or 16-bit in a Uint16Array), top to bottom. */
  writeRows(samples: Pixels): Promise<void>;
  /** Ends the image (every row must have been written) and closes the file. */
  close(): Promise<void>;
  /** Closes the file, whatever was written (the caller removes it). */
  abandon(): Promise<void>;
}

/** What the file system refuses (full disk, no permission…) as a LocalSpoolError naming the file. */
async function writing<T>(path: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new LocalSpoolError(path, error);
  }
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, tail]);
}

/** Running Adler-32 of the zlib stream's uncompressed bytes. */
function adler32(bytes: Uint8Array, start: { a: number; b: number }): void {
  let { a, b } = start;
  for (let i = 0; i < bytes.length; ) {
    const end = Math.min(bytes.length, i + ADLER_RUN);
    for (; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  start.a = a;
  start.b = b;
}

/** Bytes `n` bytes take as stored deflate blocks. */
const storedLength = (n: number) => n + 5 * Math.ceil(n / MAX_STORED);

/** `bytes` as stored deflate blocks, none of them final, into `out` from `at`. */
function storeBlocks(bytes: Uint8Array, out: Buffer, at: number): void {
  for (let i = 0, o = at; i < bytes.length; i += MAX_STORED) {
    const n = Math.min(MAX_STORED, bytes.length - i);
    out[o] = 0; // BFINAL 0, BTYPE 00 (stored)
    out.writeUInt16LE(n, o + 1);
    out.writeUInt16LE(n ^ 0xffff, o + 3);
    out.set(bytes.subarray(i, i + n), o + 5);
    o += 5 + n;
  }
}

/**
 * Creates `path` (replacing it) as a `width`×`height` PNG of `channels` samples a pixel, 8 or 16 bits
 * each. File system failures reject with LocalSpoolError.
 */
export async function openPngSpool(
  path: string,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  deep: boolean,
): Promise<PngSpool> {
  const file: FileHandle = await writing(path, () => open(path, 'w'));
  const samplesPerRow = width * channels;
  const rowBytes = 1 + samplesPerRow * (deep ? 2 : 1);
  const sum = { a: 1, b: 0 };
  let rows = 0;
  try {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(width, 0);
    ihdr.writeUInt32BE(height, 4);
    ihdr[8] = deep ? 16 : 8;
    ihdr[9] = COLOUR_TYPE[channels];
    // 10-12: deflate, adaptive filtering, no interlace
    await writing(path, () =>
      file.write(Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('pHYs', PHYS)])),
    );
  } catch (error) {
    await file.close().catch(() => undefined);
    throw error;
  }
  // Both reused from band to band: the garbage of a band would otherwise be three times its size.
  let lines = Buffer.alloc(0);
  let idat = Buffer.alloc(0);
  return {
    async writeRows(samples) {
      const n = samples.length / samplesPerRow;
      if (!Number.isInteger(n) || rows + n > height)
        throw new RangeError(`PNG spool: ${samples.length} samples do not fit the rows left`);
      const size = n * rowBytes;
      if (lines.length < size) lines = Buffer.alloc(size);
      for (let r = 0; r < n; r++) {
        const from = r * samplesPerRow;
        const at = r * rowBytes + 1;
        lines[at - 1] = 0; // filter type 0 (None)
        if (!deep) lines.set(samples.subarray(from, from + samplesPerRow), at);
        else
          for (let i = 0; i < samplesPerRow; i++) {
            const v = samples[from + i]!;
            lines[at + 2 * i] = v >> 8; // PNG samples are big-endian
            lines[at + 2 * i + 1] = v & 0xff;
          }
      }
      const body = lines.subarray(0, size);
      adler32(body, sum);
      // One IDAT chunk: length, type, data, CRC. The zlib header (deflate, 32 KB window, fastest)
      // opens the first.
      const header = rows === 0 ? 2 : 0;
      const length = header + storedLength(size);
      if (idat.length < length + 12) idat = Buffer.alloc(length + 12);
      idat.writeUInt32BE(length, 0);
      idat.write('IDAT', 4, 'latin1');
      if (header) idat.set([0x78, 0x01], 8);
      storeBlocks(body, idat, 8 + header);
      idat.writeUInt32BE(crc32(idat.subarray(4, 8 + length)), 8 + length);
      rows += n;
      await writing(path, () => file.write(idat, 0, length + 12));
    },
    async close() {
      try {
        if (rows !== height) throw new RangeError(`PNG spool: ${rows} of ${height} rows written`);
        // The final, empty stored block, then the Adler-32 of every row.
        const end = Buffer.from([1, 0, 0, 0xff, 0xff, 0, 0, 0, 0]);
        end.writeUInt32BE(((sum.b << 16) | sum.a) >>> 0, 5);
        await writing(path, () =>
          file.write(Buffer.concat([chunk('IDAT', end), chunk('IEND', new Uint8Array(0))])),
        );
      } finally {
        await writing(path, () => file.close());
      }
    },
    abandon: () => file.close().catch(() => undefined),
  };
}
