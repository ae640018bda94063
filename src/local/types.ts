/** Public option and result types of the local provider (type-only: importing costs nothing). */
import type { Sharp } from 'sharp';
import type { LocalModel } from './models.js';
import type { LocalRuntimePreference } from './runtime.js';

/** Options for `upscaleLocal`. */
export interface LocalUpscaleOptions {
  /** File path or encoded image bytes (anything sharp decodes). EXIF orientation is applied. */
  input: string | Buffer;
  /** Requested factor, > 1 and <= 32: one pass where the model has it (photo: 2, 4; ESRGAN: 2, 3, 4, 8), chained passes above (16 = 4 then 4), else the nearest then a resize. */
  scale: number;
  /** Default 'photo' (the fastest, and the best on photos); 'slim' and 'medium' are ESRGAN; 'thick' is added by `upscale local add-model thick`. */
  model?: LocalModel;
  /** Inference threads. Default: os.availableParallelism(). onnxruntime-web fixes this at first use per process. */
  threads?: number;
  /** Largest tile side in input pixels, overlap included. Default 192. Smaller = less memory, more overlap work. */
  tileSize?: number;
  /** Checked between tiles; when fired the promise rejects with an error whose `name` is 'AbortError'. */
  signal?: AbortSignal;
  /** Called with tilesDone = 0 before the first tile, then after each tile (all passes counted in tilesTotal). */
  onProgress?: (p: { tilesDone: number; tilesTotal: number }) => void;
  /** 'auto' (default) uses onnxruntime-node when added (`upscale local add-runtime`), else the bundled onnxruntime-web. */
  runtime?: LocalRuntimePreference;
  /**
   * A file the engine may write the result to as its tiles finish (an uncompressed PNG, created or
   * replaced), so the whole output is never held in memory (8000×6000 RGB: 144 MB); `image` then
   * reads that file, and the caller removes it once `image` is used (or the upscale failed). Not
   * used (the output is held, as without it) when the factor needs a resize after the model passes.
   */
  spoolTo?: string;
  /**
   * Default true: an input that looks JPEG-compressed (by its pixels, see jpeg-grid.ts) gets the
   * model's JPEG net where it has one (photo at x4), which leaves blocks and ringing alone instead
   * of sharpening them. False always runs the clean net (for comparisons).
   */
  jpegAware?: boolean;
  /**
   * Default true: an input that looks reduced without antialiasing (by its spectrum, see
   * alias-score.ts) is lightly blurred before a model that lifts the top frequencies (photo), so
   * folded detail and grain are not sharpened into noise. False never blurs (for comparisons).
   */
  aliasAware?: boolean;
}

/** What `upscaleLocal` resolves to. */
export interface LocalUpscaleResult {
  /** Pipeline over the final raw RGB or RGBA pixels (RGBA iff the input had alpha); pick a format and write it. */
  image: Sharp;
  width: number;
  height: number;
  /** 'onnxruntime-web' or 'onnxruntime-node'. */
  runtime: string;
  threads: number;
  /** Model passes run (2 for factors above 8). */
  passes: number;
  /** True when the input looked JPEG-compressed and its first pass ran the model's JPEG net. */
  jpegNet: boolean;
  /** The outer weight of the 3-tap blur run on the input first (0: none), see `aliasAware`. */
  softening: number;
  /**
   * True when the result was written to `spoolTo` and `image` only reads that file back: the
   * caller may take the file as it is (an uncompressed PNG of the final pixels) instead of
   * encoding `image` again.
   */
  spooled: boolean;
}
