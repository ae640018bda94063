/**
 * What the local engine's runs decide before any inference, for the run and for `--dry-run`
 * alike: whether the engine has the runtime and the model a run needs. (The format an output
 * gets when none is asked is outputFormat's, in output-plan.ts.)
 */
import { UpscaleError } from '../errors.js';
import type { LocalModel } from '../local/index.js';
import type { EngineProvider, ParamValues } from '../providers/types.js';

/**
 * Refuses an input when the engine lacks its runtime or model (LOCAL_ENGINE, exit 2: nothing
 * ran), with the command that adds it. Cheap: looks for files, loads nothing.
 */
export async function checkLocalReady(provider: EngineProvider, params: ParamValues): Promise<void> {
  const { checkLocalEngine } = await import('../local/index.js');
  // The engine names the model its parameters ask for (run/ knows no provider's flag names).
  const ready = await checkLocalEngine(provider.engine.modelOf(params) as LocalModel);
  if (!ready.ok) throw new UpscaleError('LOCAL_ENGINE', ready.message, { hint: ready.hint });
}
