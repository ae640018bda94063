/** Image formats by magic bytes, file extension and content type. */

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'avif' | 'tiff';

export const EXTENSION_OF: Readonly<Record<ImageFormat, string>> = {
  png: 'png',
  jpeg: 'jpg',
  webp: 'webp',
  gif: 'gif',
  avif: 'avif',
  tiff: 'tiff',
};

const FORMAT_OF_EXTENSION: Readonly<Record<string, ImageFormat>> = {
  png: 'png',
  jpg: 'jpeg',
  jpeg: 'jpeg',
  jfif: 'jpeg',
  webp: 'webp',
  gif: 'gif',
  avif: 'avif',
  tif: 'tiff',
  tiff: 'tiff',
};

/** Extensions that count as image files (folders, existing-output checks). */
export const IMAGE_EXTENSIONS: readonly string[] = [
  ...Object.keys(FORMAT_OF_EXTENSION),
  'heic',
  'heif',
  'bmp',
];

export function formatOfExtension(ext: string): ImageFormat | undefined {
  return FORMAT_OF_EXTENSION[ext.replace(/^\./, '').toLowerCase()];
}

/** Recognises the format from the first bytes of a file; undefined for anything else (HTML, JSON, …). */
export function sniffFormat(head: Uint8Array): ImageFormat | undefined {
  const b = head;
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 8 && b[0] === 0x89 && ascii(1, 4) === 'PNG') return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (b.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return 'gif';
  if (b.length >= 12 && ascii(4, 8) === 'ftyp' && /^avi[fs]$/.test(ascii(8, 12))) return 'avif';
  if (b.length >= 4 && (ascii(0, 4) === 'II*\u0000' || ascii(0, 4) === 'MM\u0000*')) return 'tiff';
  return undefined;
}

/** True for content types a download may have: images, or a generic binary type. */
export function isImageContentType(contentType: string | undefined): boolean {
  if (!contentType) return true; // absent: the magic bytes decide
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type.startsWith('image/') || type === 'application/octet-stream' || type === 'binary/octet-stream';
}

/** Formats `--format` can ask for (gif stays a format the provider may return, not one to convert to). */
export const OUTPUT_FORMATS = [
  'png',
  'jpeg',
  'webp',
  'avif',
  'tiff',
] as const satisfies readonly ImageFormat[];

/** Formats that store an alpha channel. */
export function formatHasAlpha(format: ImageFormat): boolean {
  return format !== 'jpeg';
}

/** Every file extension of a format (`jpeg` → jpg, jpeg, jfif), for existing-output checks. */
export function extensionsOf(format: ImageFormat): string[] {
  return Object.entries(FORMAT_OF_EXTENSION)
    .filter(([, f]) => f === format)
    .map(([ext]) => ext);
}
