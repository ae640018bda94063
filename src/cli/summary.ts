/** The end-of-run summary on stderr: counts, then each failure with its reason. */
import type { TaskResult } from '../run/run-task.js';
import { palette, type Terminal } from './terminal.js';

export function summaryLines(results: readonly TaskResult[], term: Pick<Terminal, 'color'>): string[] {
  const c = palette(term);
  const count = (status: TaskResult['status']) => results.filter((r) => r.status === status).length;
  const parts = [
    `${count('succeeded')} succeeded`,
    `${count('skipped')} skipped`,
    `${count('failed')} failed`,
  ];
  if (count('planned') > 0) parts.unshift(`${count('planned')} planned`);
  const spent = results.reduce((sum, r) => sum + (r.requests ?? 0), 0);
  const sent = results.filter((r) => r.requests !== undefined && r.requests > 0).length;
  // Requests are what the provider's budget counts: said once, for the whole run.
  const requests =
    sent > 0
      ? `; ${Math.round(spent)} API requests, ${Math.round((spent / sent) * 10) / 10} per input sent`
      : '';
  const lines = [`${c.bold('summary:')} ${parts.join(', ')} (of ${results.length})${requests}`];
  const failed = results.filter((x) => x.status === 'failed');
  // A spent daily quota refuses every input after it for the same reason: said once, with what is left.
  const unsent = failed.filter((r) => r.error?.code === 'DAILY_LIMIT');
  for (const r of failed.filter((x) => x.error?.code !== 'DAILY_LIMIT')) {
    lines.push(`  ${c.red('✗')} ${r.input}: ${r.error?.code ?? 'ERROR'} ${r.error?.message ?? ''}`.trimEnd());
  }
  if (unsent.length > 0) {
    const names = unsent.slice(0, 3).map((r) => r.input);
    const more = unsent.length > names.length ? `, … (${unsent.length - names.length} more)` : '';
    const inputs = unsent.length === 1 ? 'input' : 'inputs';
    lines.push(
      `  ${c.red('✗')} DAILY_LIMIT ${unsent[0]!.error?.message ?? ''}: ${unsent.length} ${inputs} not sent (${names.join(', ')}${more}); run the same command again after the reset: what is done is skipped, nothing is paid twice`,
    );
  }
  return lines;
}
