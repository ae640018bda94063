/** Human words for states and results, shared by the plain and TTY reporters. */
import type { TaskState } from '../../providers/types.js';
import type { TaskResult } from '../../run/run-task.js';

export function describeState(state: TaskState): string {
  switch (state.status) {
    case 'queued':
      return 'queued';
    case 'running': {
      const parts = ['running'];
      if (state.progress !== undefined) parts.push(`${Math.round(state.progress)}%`);
      if (state.etaSeconds !== undefined) parts.push(`eta ${Math.round(state.etaSeconds)}s`);
      return parts.join(' ');
    }
    case 'succeeded':
      return 'completed';
    case 'failed':
      return 'failed';
  }
}

export function seconds(ms: number): string {
  return `${Math.round(ms / 1000)}s`;
}

export function describeResult(r: TaskResult): string {
  switch (r.status) {
    case 'succeeded':
      return `${r.input}: saved ${r.output} (${r.width}×${r.height})`;
    case 'skipped':
      return `${r.input}: skipped, ${r.output} already exists (--overwrite to redo)`;
    case 'planned':
      return `${r.input}: ok, would send ${JSON.stringify(r.request)}`;
    case 'failed': {
      // Most messages already name the input; say it once.
      const message = r.error?.message ?? 'failed';
      const named = message.includes(r.input) ? message : `${r.input}: ${message}`;
      return `${named}${r.taskId ? ` (task ${r.taskId})` : ''}`;
    }
  }
}
