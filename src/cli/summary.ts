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
  const lines = [`${c.bold('summary:')} ${parts.join(', ')} (of ${results.length})`];
  for (const r of results.filter((x) => x.status === 'failed')) {
    lines.push(`  ${c.red('✗')} ${r.input}: ${r.error?.code ?? 'ERROR'} ${r.error?.message ?? ''}`.trimEnd());
  }
  return lines;
}
