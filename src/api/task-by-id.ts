/**
 * A task by its id, for `upscale status <task-id>` and `upscale download <task-id>`: its state as
 * the provider says it now, and the item its result is written as.
 */
import { looksLikeImageFile, outputTarget } from '../run/naming.js';
import type { InputItem } from '../run/task-types.js';
import { storeFor } from '../store/index.js';

export { fetchTaskState } from '../run/provider-api.js';

/**
 * What `upscale download <task-id> [-o path]` writes: `-o` names a file (an image extension) or a
 * folder (made if missing); without it, `<task-id>.<ext>` in the current folder.
 */
export async function downloadItem(taskId: string, provider: string, output?: string): Promise<InputItem> {
  const outputIsFile = output !== undefined && looksLikeImageFile(output);
  if (output !== undefined && !outputIsFile) await storeFor(output).makeFolder(output);
  const target = outputTarget(taskId, { tag: 'task', provider, output, outputIsFile, template: '{name}' });
  return { input: taskId, kind: 'url', target: output === undefined ? { ...target, dir: '.' } : target };
}
