/** On a TTY with several inputs: one cli-progress bar (done/total, failed, ETA) and the files in flight. */
import type { TaskResult } from '../../run/run-task.js';
import { redactAll } from '../secrets.js';
import { palette, type Terminal } from '../terminal.js';
import { describeBudgetWait, describeResult } from './describe.js';
import type { BatchProgress, Reporter } from './types.js';

export async function barReporter(term: Terminal, total: number, verbose: boolean): Promise<Reporter> {
  const { default: progress } = await import('cli-progress');
  const c = palette(term);
  const inFlight = new Set<string>();
  const bar = new progress.SingleBar(
    {
      stream: term.stderr,
      format: `{bar} {value}/{total} | failed {failed} | ETA {eta_formatted} | {inflight}{budget}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
      fps: 5,
    },
    progress.Presets.shades_classic,
  );
  let failed = 0;
  let budgetUntil = 0;
  const payload = () => {
    const names = [...inFlight];
    const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ` +${names.length - 3}` : '');
    const budget = budgetUntil > Date.now() ? ` | ${describeBudgetWait(budgetUntil)}` : '';
    return { failed, inflight: shown, budget };
  };
  bar.start(total, 0, payload());
  const above = (line: string) => {
    // cli-progress redraws on the next update; print on a fresh line above it.
    term.stderr.write(`\r\u001b[2K${redactAll(line)}\n`);
    bar.update(payload());
  };
  return {
    events: {
      onStage: (input, stage) => {
        if (stage === 'checking') inFlight.add(input);
        bar.update(payload());
      },
    },
    retry: (e) => {
      if (verbose) above(c.dim(`retrying ${e.url} in ${e.delayMs} ms (${e.reason})`));
    },
    log: (line) => {
      if (verbose) above(c.dim(line));
    },
    warn: (message) => above(`${c.yellow('warning:')} ${message}`),
    budgetWait: (until) => {
      budgetUntil = until;
      bar.update(payload());
    },
    result: (r: TaskResult, p: BatchProgress) => {
      inFlight.delete(r.input);
      failed = p.failed;
      if (r.status === 'failed') above(`${c.red('failed:')} ${describeResult(r)}`);
      // A dry run is read line by line: each input's check, sizes and price.
      else if (r.status === 'planned') above(describeResult(r));
      bar.update(p.done, payload());
    },
    close: () => bar.stop(),
  };
}
