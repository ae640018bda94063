/**
 * Turns a verified download into the file the user asked for, with sharp, only when it differs:
 * another format or quality, the input's metadata (EXIF, XMP, IPTC, ICC profile) carried over,
 * the pixels turned upright once, alpha kept or flattened, an exact target size.
 *
 * Orientation: the output is always written upright with orientation 1, so it shows the same in
 * viewers that read EXIF orientation and in those that do not. Colours: when the provider
 * converted to sRGB, the pixels are converted back to the input's profile before it is attached;
 * when it passed the stored numbers through, the profile is attached as it is.
 */
import { rm, writeFile } from 'node:fs/promises';
import type { Sharp } from 'sharp';
import { UpscaleError } from '../errors.js';
import { formatHasAlpha, type ImageFormat } from '../formats.js';
import type { Size } from '../providers/types.js';
import { tempPathBeside } from './download.js';
import { applyOrientation } from './orient.js';
import { DEFAULT_BACKGROUND, DEFAULT_QUALITY, type OutputOptions } from './output-options.js';
import { type ProviderTreatment, providerTreatment } from './provider-match.js';
import type { SourceImage } from './source.js';

export interface FinishJob {
  readonly tempPath: string;
  readonly downloaded: ImageFormat;
  /** The output's format, as run/output-plan.ts's outputFormat decides it (the downloaded one: kept as it is). */
  readonly format: ImageFormat;
  /** Where the file will go (temporary files are made beside it). */
  readonly finalPath: string;
  /** The input, when it could be read: its metadata, orientation and alpha. */
  readonly source: SourceImage | undefined;
  readonly options: OutputOptions;
  /** Exact size of the output as displayed (from --width/--height). */
  readonly finalSize?: Size | undefined;
  /**
   * The bytes are stored uncompressed (the local engine's PNG at level 0, so that an output in
   * another format is compressed once): encoded again even when nothing else changes, never the
   * output as they are.
   */
  readonly uncompressed?: boolean | undefined;
}

export interface FinishNotice {
  readonly code: 'ALPHA_FLATTENED';
  readonly message: string;
}

export interface Finished {
  readonly tempPath: string;
  readonly format: ImageFormat;
  readonly notices: readonly FinishNotice[];
}

type Raw = { data: Buffer; info: { width: number; height: number; channels: 1 | 2 | 3 | 4 } };

/** The result's file itself, read by the encoder as it goes: what Raw's samples would be, never decoded whole. */
type InFile = { path: string; info: Raw['info'] };

/** The result's samples: grey or colour, 8 or 16 bits, kept as they are through the finishing. */
interface Samples {
  readonly grey: boolean;
  readonly deep: boolean;
}

const EIGHT_BIT_COLOUR: Samples = { grey: false, deep: false };

/** The colour space that keeps `samples` as they are (sharp turns anything else into 8-bit sRGB). */
function spaceOf(samples: Samples): 'srgb' | 'rgb16' | 'b-w' | 'grey16' {
  if (samples.grey) return samples.deep ? 'grey16' : 'b-w';
  return samples.deep ? 'rgb16' : 'srgb';
}

async function loadSharp() {
  return (await import('sharp')).default;
}

/** `image` in `samples`' colour space (8-bit colour: sharp's default sRGB, as before). */
function keeping(image: Sharp, samples: Samples): Sharp {
  return samples.grey || samples.deep ? image.toColourspace(spaceOf(samples)) : image;
}

async function toRaw(image: Sharp, samples: Samples = EIGHT_BIT_COLOUR): Promise<Raw> {
  const { data, info } = await keeping(image, samples)
    .raw({ depth: samples.deep ? 'ushort' : 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { data, info: { width: info.width, height: info.height, channels: info.channels } };
}

/** The raw samples as sharp reads them: a Uint16Array tells it they are 16-bit. */
function samplesOf(raw: Raw, samples: Samples): Buffer | Uint16Array {
  if (!samples.deep) return raw.data;
  return new Uint16Array(raw.data.buffer.slice(raw.data.byteOffset, raw.data.byteOffset + raw.data.length));
}

async function fromRaw(raw: Raw, samples: Samples = EIGHT_BIT_COLOUR): Promise<Sharp> {
  const sharp = await loadSharp();
  return keeping(sharp(samplesOf(raw, samples), { raw: raw.info }), samples);
}

function encode(image: Sharp, format: ImageFormat, quality: number | undefined): Sharp {
  const q = quality ?? DEFAULT_QUALITY[format];
  switch (format) {
    case 'jpeg':
      return image.jpeg({ quality: q });
    case 'webp':
      return image.webp({ quality: q });
    case 'avif':
      return image.avif({ quality: q });
    case 'tiff':
      return image.tiff({ compression: 'lzw' });
    case 'gif':
      return image.gif();
    case 'png':
      return image.png();
  }
}

/** What has to change; nothing means the downloaded bytes are the output as they are. */
interface Plan {
  readonly format: ImageFormat;
  readonly keepMetadata: boolean;
  readonly turn: number;
  readonly alphaFromSource: boolean;
  readonly flatten: boolean;
  readonly colours: 'as-is' | 'to-input' | 'to-srgb';
  readonly treatment: ProviderTreatment;
  /** Grey and 16-bit results stay so in a format that holds them (PNG, TIFF; grey JPEG). */
  readonly samples: Samples;
  /**
   * The result's pixels go out as they are (no colour change, alpha, turn, flattening or resize) and
   * sharp reads its file as it would their raw samples (no ICC profile, no resolution, RGB or grey):
   * the encoder reads the file as it goes, instead of a decoded copy the size of the output (the
   * local engine's 8000×6000 RGB: 144 MB, with a JPEG encoder's own 280 MB beside it).
   */
  readonly asIs: InFile['info'] | undefined;
}

async function planFinish(job: FinishJob): Promise<{ plan: Plan; needed: boolean }> {
  const sharp = await loadSharp();
  const { source, options } = job;
  const { format } = job;
  const result = await sharp(job.tempPath).metadata();
  const treatment: ProviderTreatment = source
    ? await providerTreatment(source, job.tempPath)
    : { rotated: false, colours: 'srgb' };
  const keepMetadata = !options.stripMetadata && Boolean(source?.hasMetadata);
  const turn = source && !treatment.rotated ? source.orientation : 1;
  const resultAlpha = result.hasAlpha ?? false;
  const alphaFromSource = Boolean(source?.hasAlpha) && !resultAlpha;
  const flatten = !formatHasAlpha(format) && (resultAlpha || Boolean(source?.hasAlpha));
  let colours: Plan['colours'] = 'as-is';
  if (source?.rgbIcc && keepMetadata && treatment.colours === 'srgb') colours = 'to-input';
  if (source?.rgbIcc && !keepMetadata && treatment.colours === 'input') colours = 'to-srgb';
  const displayed =
    turn >= 5
      ? { width: result.height, height: result.width }
      : { width: result.width, height: result.height };
  const resize =
    job.finalSize !== undefined &&
    (job.finalSize.width !== displayed.width || job.finalSize.height !== displayed.height);
  const strayMetadata = Boolean(options.stripMetadata && (result.exif || result.xmp || result.iptc));
  const needed =
    job.uncompressed === true ||
    format !== job.downloaded ||
    options.quality !== undefined ||
    keepMetadata ||
    turn !== 1 ||
    (alphaFromSource && formatHasAlpha(format)) ||
    flatten ||
    colours !== 'as-is' ||
    resize ||
    strayMetadata;
  const samples: Samples = {
    grey: (result.channels ?? 3) <= 2 && (format === 'png' || format === 'tiff' || format === 'jpeg'),
    deep: result.depth === 'ushort' && (format === 'png' || format === 'tiff'),
  };
  const plainFile =
    !result.icc &&
    result.density === undefined &&
    ['srgb', 'b-w', 'rgb16', 'grey16'].includes(result.space ?? '') &&
    result.width !== undefined &&
    result.height !== undefined;
  const pixelsAsIs =
    colours === 'as-is' && !(alphaFromSource && formatHasAlpha(format)) && turn === 1 && !flatten && !resize;
  // The channels the decoded samples would have: grey kept as grey, anything else as sRGB.
  const channels = ((samples.grey ? 1 : 3) + (resultAlpha ? 1 : 0)) as 1 | 2 | 3 | 4;
  const asIs =
    plainFile && pixelsAsIs ? { width: result.width!, height: result.height!, channels } : undefined;
  return {
    plan: { format, keepMetadata, turn, alphaFromSource, flatten, colours, treatment, samples, asIs },
    needed,
  };
}

/** A temporary ICC file: sharp takes an output profile only as a path. */
async function withProfileFile<T>(
  job: FinishJob,
  icc: Buffer,
  use: (path: string) => Promise<T>,
): Promise<T> {
  const path = `${tempPathBeside(job.finalPath)}.icc`;
  await writeFile(path, icc);
  try {
    return await use(path);
  } finally {
    await rm(path, { force: true });
  }
}

/** A 1-pixel crop of the input stretched to `size`: the carrier of its metadata under new pixels. */
async function metadataCarrier(source: SourceImage, size: Size, channels: number): Promise<Sharp> {
  const sharp = await loadSharp();
  const carrier = sharp(source.path)
    .extract({ left: 0, top: 0, width: 1, height: 1 })
    .resize(size.width, size.height, { fit: 'fill', kernel: 'nearest' });
  return channels === 4 ? carrier.ensureAlpha() : carrier.removeAlpha();
}

/** Pixels in the input profile's numbers, tagged with it, then converted to sRGB (for stripped outputs). */
async function profileNumbersToSrgb(source: SourceImage, raw: Raw): Promise<Raw> {
  const sharp = await loadSharp();
  const carrier = await metadataCarrier(source, raw.info, raw.info.channels);
  const tagged = await carrier
    .composite([{ input: raw.data, raw: raw.info, blend: 'source' }])
    .keepIccProfile()
    .png({ compressionLevel: 0 })
    .toBuffer();
  return toRaw(sharp(tagged).toColourspace('srgb'));
}

/** The result's pixels in the colours they must end up in. */
async function colourPixels(job: FinishJob, plan: Plan): Promise<Raw> {
  const sharp = await loadSharp();
  const icc = job.source?.rgbIcc;
  if (plan.colours === 'to-input' && icc) {
    return withProfileFile(job, icc, (path) => toRaw(sharp(job.tempPath).withIccProfile(path), plan.samples));
  }
  if (plan.colours === 'to-srgb' && job.source) {
    return profileNumbersToSrgb(job.source, await toRaw(sharp(job.tempPath, { ignoreIcc: true })));
  }
  return toRaw(sharp(job.tempPath), plan.samples);
}

/** The input's alpha channel, laid over the result as the provider returned it. */
async function sourceAlpha(source: SourceImage, plan: Plan, size: Size): Promise<Raw> {
  const sharp = await loadSharp();
  let alpha = sharp(source.path).extractChannel('alpha');
  if (plan.treatment.rotated) alpha = applyOrientation(alpha, source.orientation);
  const single = sharp(await alpha.png().toBuffer()).resize(size.width, size.height, { fit: 'fill' });
  return toRaw(single.extractChannel(0));
}

async function shapePixels(job: FinishJob, plan: Plan, pixels: Raw): Promise<Raw> {
  let raw = pixels;
  const { samples } = plan;
  if (plan.alphaFromSource && job.source && (formatHasAlpha(plan.format) || plan.flatten)) {
    const alpha = await sourceAlpha(job.source, plan, raw.info);
    const base =
      raw.info.channels === 4 ? (await fromRaw(raw, samples)).removeAlpha() : await fromRaw(raw, samples);
    raw = await toRaw(base.joinChannel(alpha.data, { raw: alpha.info }), samples);
  }
  // Upright with nothing to flatten: no copy of the pixels (a copy is the size of the output).
  if (plan.turn !== 1 || plan.flatten) {
    let image = applyOrientation(await fromRaw(raw, samples), plan.turn);
    if (plan.flatten) image = image.flatten({ background: job.options.background ?? DEFAULT_BACKGROUND });
    raw = await toRaw(image, samples);
  }
  const size = job.finalSize;
  if (size && (size.width !== raw.info.width || size.height !== raw.info.height)) {
    raw = await toRaw(
      (await fromRaw(raw, samples)).resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' }),
      samples,
    );
  }
  return raw;
}

/** The pixels to lay over the metadata's carrier: 16-bit ones as a PNG (sharp takes raw overlays as 8-bit only). */
async function overlayOf(
  raw: Raw | InFile,
  samples: Samples,
): Promise<{ input: Buffer | string; raw?: Raw['info'] }> {
  if ('path' in raw) return { input: raw.path };
  if (!samples.deep) return { input: raw.data, raw: raw.info };
  return { input: await (await fromRaw(raw, samples)).png({ compressionLevel: 0 }).toBuffer() };
}

/** The pixels as a pipeline in their samples' colour space. */
async function pipelineOf(pixels: Raw | InFile, samples: Samples): Promise<Sharp> {
  if ('path' in pixels) return keeping((await loadSharp())(pixels.path), samples);
  return fromRaw(pixels, samples);
}

async function encodeOutput(job: FinishJob, plan: Plan, raw: Raw | InFile, path: string): Promise<void> {
  const { source } = job;
  if (!plan.keepMetadata || !source) {
    await encode(await pipelineOf(raw, plan.samples), plan.format, job.options.quality).toFile(path);
    return;
  }
  const { samples } = plan;
  const plain = !samples.grey && !samples.deep;
  let carrier = await metadataCarrier(source, raw.info, raw.info.channels);
  // Grey or 16-bit pixels are laid over in their own space (else sharp composites in 8-bit sRGB).
  if (!plain) carrier = carrier.pipelineColourspace(spaceOf(samples));
  carrier = carrier.composite([{ ...(await overlayOf(raw, samples)), blend: 'source' }]);
  // The pixels are upright now: the carried EXIF must not turn them again (withMetadata would
  // also turn grey into sRGB).
  carrier = plain
    ? carrier.withMetadata({ orientation: 1 })
    : carrier.keepExif().withExifMerge({ IFD0: { Orientation: '1' } });
  const kept = source.rgbIcc ? carrier.keepMetadata() : carrier.keepExif().keepXmp();
  await encode(keeping(kept, plan.samples), plan.format, job.options.quality).toFile(path);
}

/**
 * Returns the file to move into place: the downloaded one when nothing needs changing,
 * otherwise a new temporary file (the downloaded one is removed).
 */
export async function finishImage(job: FinishJob): Promise<Finished> {
  const { plan, needed } = await planFinish(job);
  const notices: FinishNotice[] = [];
  if (plan.flatten && job.source?.hasAlpha) {
    notices.push({
      code: 'ALPHA_FLATTENED',
      message: `${plan.format} has no transparency: flattened on ${job.options.background ?? DEFAULT_BACKGROUND}`,
    });
  }
  if (!needed) return { tempPath: job.tempPath, format: job.downloaded, notices };
  const converted = tempPathBeside(job.finalPath);
  try {
    const pixels = plan.asIs
      ? { path: job.tempPath, info: plan.asIs }
      : await shapePixels(job, plan, await colourPixels(job, plan));
    await encodeOutput(job, plan, pixels, converted);
  } catch (error) {
    await rm(converted, { force: true });
    throw new UpscaleError(
      'OUTPUT_UNWRITABLE',
      `cannot write the result as ${plan.format} for ${job.finalPath}`,
      {
        hint: 'pick another --format, or pass --strip-metadata',
        cause: error,
      },
    );
  } finally {
    await rm(job.tempPath, { force: true });
  }
  return { tempPath: converted, format: plan.format, notices };
}
