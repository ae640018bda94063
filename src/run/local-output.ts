/**
 * What the local engine's runs decide before any inference, for the run and for `--dry-run`
 * alike: the format an output gets when none is asked, and whether the engine has the runtime
 * and the model a run needs.
 */
import { extname } from 'node:path';
import { UpscaleError } from '../errors.js';
import { formatOfExtension, type ImageFormat } from '../formats.js';
import type { PrecheckInfo } from '../image/precheck.js';
import type { ParamValues } from '../providers/types.js';

/** Without a format asked: the input's own when it can hold the result, else PNG. */
export function localOutputFormat(input: string, info: PrecheckInfo | undefined): ImageFormat {
  const own = formatOfExtension(extname(input));
  if (own === 'jpeg' && info?.hasAlpha) return 'png';
  return own === 'jpeg' || own === 'png' || own === 'webp' || own === 'tiff' || own === 'avif' ? own : 'png';
}

/**
 * Refuses an input when the engine lacks its runtime or model (LOCAL_ENGINE, exit 2: nothing
 * ran), with the command that adds it. Cheap: looks for files, loads nothing.
 */
export async function checkLocalReady(params: ParamValues): Promise<void> {
  const { checkLocalEngine, DEFAULT_LOCAL_MODEL } = await import('../local/index.js');
  const ready = await checkLocalEngine((params.model ?? DEFAULT_LOCAL_MODEL) as typeof DEFAULT_LOCAL_MODEL);
  if (!ready.ok) throw new UpscaleError('LOCAL_ENGINE', ready.message, { hint: ready.hint });
}
