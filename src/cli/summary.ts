/** The end-of-run summary on stderr: counts, then each failure with its reason. */

import type { TaskResult } from '../api/results.js';
import { stopsSubmitting } from '../errors.js';
import { someOf } from '../some-of.js';
import { palette, type Terminal } from './terminal.js';

/** Why a run stopped submitting, in a person's words (see stopsSubmitting). */
const STOP_REASONS: Readonly<Record<string, string>> = {
  AUTH: 'the provider refused the API key',
  PAYMENT_REQUIRED: 'the provider account has no credits left',
  UNKNOWN_ENDPOINT: 'the API root has no such endpoint',
  DAILY_LIMIT: "the API key's daily limit is reached",
  UNREACHABLE: 'the provider cannot be reached',
};

/** The line said once when an answer stops a run from submitting more. */
export function stoppingLine(code: string): string {
  return `stopping: ${STOP_REASONS[code] ?? code}, so no other input is sent (each would meet the same answer); tasks already submitted are still collected`;
}

/** A failure's message without the input's name it starts with (the line names the input). */
function withoutInput(r: TaskResult): string {
  const message = r.error?.message ?? '';
  return message.startsWith(`${r.input}: `) ? message.slice(r.input.length + 2) : message;
}

/**
 * What makes two failures the same: the code, the message without the input's name, the hint.
 * Said once when several inputs meet it (see upscaleCommand, summaryLines).
 */
export function failureKey(r: TaskResult): string {
  return `${r.error?.code ?? ''}\n${withoutInput(r)}\n${r.error?.hint ?? ''}`;
}

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
  // A refused key, no credits, a wrong endpoint, a spent daily quota: every input after the first
  // meets the same answer. Said once per cause, with how many inputs and which were not done.
  const stopping = failed.filter((r) => stopsSubmitting(r.error?.code ?? ''));
  // The same failure for several inputs (a provider that takes no files, the same task failure):
  // one line with how many and which; one input's failure on a line of its own.
  const alike = new Map<string, TaskResult[]>();
  for (const r of failed.filter((x) => !stopping.includes(x))) {
    const key = failureKey(r);
    alike.set(key, [...(alike.get(key) ?? []), r]);
  }
  for (const group of alike.values()) {
    const first = group[0]!;
    const code = first.error?.code ?? 'ERROR';
    if (group.length === 1) {
      lines.push(`  ${c.red('✗')} ${first.input}: ${code} ${withoutInput(first)}`.trimEnd());
      continue;
    }
    const hint = first.error?.hint ? `; ${first.error.hint}` : '';
    lines.push(
      `  ${c.red('✗')} ${code} ${withoutInput(first)}: ${group.length} inputs (${someOf(group.map((r) => r.input))})${hint}`,
    );
  }
  for (const code of new Set(stopping.map((r) => r.error!.code))) {
    const unsent = stopping.filter((r) => r.error?.code === code);
    const inputs = unsent.length === 1 ? 'input' : 'inputs';
    const { message, hint } = unsent[0]!.error!;
    // The daily limit's message says when it resets; its advice is the same for every input.
    const advice =
      code === 'DAILY_LIMIT'
        ? 'run the same command again after the reset: what is done is skipped, nothing is paid twice'
        : hint;
    lines.push(
      `  ${c.red('✗')} ${code} ${message}: ${unsent.length} ${inputs} not sent (${someOf(unsent.map((r) => r.input))})${advice ? `; ${advice}` : ''}`,
    );
  }
  return lines;
}
