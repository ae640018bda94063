/**
 * Streams a JSON body whose image is a local file: prefix, base64 in chunks whose source
 * size is a multiple of 3 bytes (so chunks concatenate into one valid base64 string), suffix.
 * A 20 MB image never becomes one 27 MB string in memory.
 */
import { basename } from 'node:path';
import { readPieces } from '../fs/read-pieces.js';

/** A local file that goes into the body as base64, streamed from disk. */
export interface FilePart {
  readonly kind: 'file';
  readonly path: string;
  readonly size: number;
}

/** A URL that goes into the body as its text. */
export interface UrlPart {
  readonly kind: 'url';
  readonly url: string;
}

/** What a JSON body may hold: plain values, and at most one file that is encoded on the way out. */
export type JsonValue = string | number | boolean | null | FilePart | UrlPart | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

const MARKER = '\u0000upscale-image\u0000';
/**
 * 48 KiB: a multiple of 3, so every chunk but the last encodes without padding; and its base64,
 * 64 KiB, is a string small enough for V8's young generation, freed within milliseconds (a bigger
 * one waits in large-object space for a full collection: resident memory the size of the body).
 */
export const CHUNK_BYTES = 3 * 16 * 1024;

function isFileImage(value: unknown): value is FilePart {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'file';
}

function isUrlImage(value: unknown): value is UrlPart {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'url';
}

export interface EncodedBody {
  readonly length: number;
  /**
   * A fresh stream of the body's bytes (called again for each retry). The base64 chunks are
   * ASCII strings, handed to the socket as they are: a Buffer of each would be one more copy.
   */
  chunks(): AsyncIterable<Buffer | string>;
}

/** Encodes `body`; at most one file image is supported (every provider sends one image). */
export function encodeJsonBody(body: JsonObject): EncodedBody {
  let file: FilePart | undefined;
  const json = JSON.stringify(body, (_key, value: JsonValue) => {
    if (isFileImage(value)) {
      file = value;
      return MARKER;
    }
    if (isUrlImage(value)) return value.url;
    return value;
  });
  const image = file;
  if (!image) {
    const bytes = Buffer.from(json);
    return {
      length: bytes.length,
      async *chunks() {
        yield bytes;
      },
    };
  }
  const [prefixText, suffixText = ''] = json.split(JSON.stringify(MARKER).slice(1, -1));
  const prefix = Buffer.from(prefixText ?? '');
  const suffix = Buffer.from(suffixText);
  const base64Length = 4 * Math.ceil(image.size / 3);
  return {
    length: prefix.length + base64Length + suffix.length,
    async *chunks() {
      yield prefix;
      for await (const piece of readPieces(image.path, CHUNK_BYTES)) yield piece.toString('base64');
      yield suffix;
    },
  };
}

/** The body as `--dry-run` and `--verbose` show it: the image elided, URLs kept. */
export function describeBody(body: JsonObject): unknown {
  return JSON.parse(
    JSON.stringify(body, (_key, value: JsonValue) => {
      if (isFileImage(value)) return `<base64 of ${basename(value.path)}, ${value.size} bytes>`;
      if (isUrlImage(value)) return value.url;
      return value;
    }),
  );
}
