/** Human words for states and results, shared by the plain and TTY reporters. */
import {
  formatMoney,
  type PlannedResult,
  type Size,
  type TaskResult,
  type TaskState,
} from '../../api/results.js';

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

const size = (s: Size | undefined) => (s ? `${s.width}×${s.height}` : '?');

/** A --dry-run line: the check passed, the sizes, the estimate, then the request (image elided). */
function describePlanned(r: PlannedResult): string {
  const sizes = [`${size(r.inputSize)}`];
  if (r.fittedTo) sizes.push(`fitted to ${size(r.fittedTo)}`);
  sizes.push(`→ ${r.expected ? size(r.expected) : 'size unknown'}`);
  if (r.resizeTo) sizes.push(`→ resized to ${size(r.resizeTo)}`);
  const cost =
    r.cost.amount === undefined
      ? `price unknown (${r.cost.basis})`
      : `≈ ${formatMoney(r.cost.amount, r.cost.currency)} (${r.cost.basis})`;
  return `${r.input}: ok, ${sizes.join(' ')}, ${cost}\n  would send ${JSON.stringify(r.request)}`;
}

export function describeResult(r: TaskResult): string {
  switch (r.status) {
    case 'succeeded':
      return `${r.input}: saved ${r.output} (${r.width}×${r.height})`;
    case 'skipped':
      return `${r.input}: skipped, ${r.output} already exists (--overwrite to redo)`;
    case 'planned':
      return describePlanned(r);
    case 'failed': {
      // Most messages already name the input; say it once.
      const { message } = r.error;
      const named = message.includes(r.input) ? message : `${r.input}: ${message}`;
      return `${named}${r.taskId ? ` (task ${r.taskId})` : ''}`;
    }
  }
}

/** `waiting for the request budget until 21:03:05` (local time: it is read by a person). */
export function describeBudgetWait(until: number): string {
  return `waiting for the request budget until ${new Date(until).toTimeString().slice(0, 8)}`;
}

/** A long wait is worth a line in a log; short ones are the budget doing its job. */
export const BUDGET_WAIT_WORTH_SAYING_MS = 5000;
