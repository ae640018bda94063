/**
 * On a TTY with several inputs: one progress bar (done/total, failed, ETA, the files in flight)
 * on the last line of stderr. Everything printed while it is live — messages on stderr, result
 * paths on stdout when stdout is the same terminal — goes through one writer that clears the
 * bar's line, prints, and draws the bar again below. cli-progress's MultiBar moves the cursor
 * relatively (its SingleBar saves and restores it, which put the summary back mid-screen).
 */
import type { TaskResult } from '../../run/run-task.js';
import { redactAll } from '../secrets.js';
import { palette, type Terminal } from '../terminal.js';
import { describeBudgetWait, describeResult, describeState } from './describe.js';
import type { BatchProgress, Reporter } from './types.js';

const CLEAR_LINE = '\r\u001b[2K';

/** `1m05s`, or `—` before anything finished (no rate to extrapolate from yet). */
export function etaText(done: number, total: number, elapsedMs: number): string {
  if (done === 0 || done >= total) return done >= total ? '0s' : '—';
  const seconds = Math.round(((elapsedMs / done) * (total - done)) / 1000);
  return seconds >= 60
    ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
    : `${seconds}s`;
}

export async function barReporter(term: Terminal, total: number, verbose: boolean): Promise<Reporter> {
  const { default: progress } = await import('cli-progress');
  const c = palette(term);
  /** What each input in flight is doing ("45%" for a local tile pass). */
  const inFlight = new Map<string, string>();
  const started = Date.now();
  let done = 0;
  let failed = 0;
  let budgetUntil = 0;
  const multibar = new progress.MultiBar(
    {
      stream: term.stderr,
      format: `{bar} {value}/{total} | failed {failed} | {duration_formatted}, ETA {eta} | {inflight}{budget}`,
      hideCursor: true,
      clearOnComplete: false,
      // A line too long for the terminal would wrap, and the next redraw would leave its tail.
      linewrap: false,
      gracefulExit: false,
      fps: 5,
    },
    progress.Presets.shades_classic,
  );
  const payload = () => {
    const names = [...inFlight].map(([name, state]) => (state ? `${name} ${state}` : name));
    const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ` +${names.length - 3}` : '');
    const budget = budgetUntil > Date.now() ? ` | ${describeBudgetWait(budgetUntil)}` : '';
    return { failed, inflight: shown, budget, eta: etaText(done, total, Date.now() - started) };
  };
  const bar = multibar.create(total, 0, payload());
  const redraw = () => {
    bar.update(done, payload());
    multibar.update();
  };
  /** Clears the bar's line, writes `text` (a whole line) to `stream`, and draws the bar below. */
  const above = (stream: NodeJS.WriteStream, text: string) => {
    term.stderr.write(CLEAR_LINE);
    stream.write(`${text}\n`);
    redraw();
  };
  return {
    events: {
      onStage: (input, stage) => {
        if (stage === 'checking') inFlight.set(input, '');
        bar.update(payload());
      },
      onStatus: (input, _taskId, state) => {
        // Local tile passes report a percentage; remote states stay short in the bar.
        if (inFlight.has(input) && state.status === 'running' && state.progress !== undefined)
          inFlight.set(input, describeState(state).replace(/^running /, ''));
        bar.update(payload());
      },
    },
    retry: (e) => {
      if (verbose) above(term.stderr, c.dim(`retrying ${e.url} in ${e.delayMs} ms (${e.reason})`));
    },
    log: (line) => {
      if (verbose) above(term.stderr, c.dim(redactAll(line)));
    },
    warn: (message) => above(term.stderr, redactAll(`${c.yellow('warning:')} ${message}`)),
    budgetWait: (until) => {
      budgetUntil = until;
      bar.update(payload());
    },
    data: (line) => {
      // Paths and JSON lines are data: on stdout, above the bar when stdout is this terminal.
      if (term.stdout.isTTY) above(term.stdout, line);
      else term.stdout.write(`${line}\n`);
    },
    result: (r: TaskResult, p: BatchProgress) => {
      inFlight.delete(r.input);
      done = p.done;
      failed = p.failed;
      if (r.status === 'failed' && p.sameCause) redraw();
      else if (r.status === 'failed')
        above(term.stderr, redactAll(`${c.red('failed:')} ${describeResult(r)}`));
      // A dry run is read line by line: each input's check, sizes and price.
      else if (r.status === 'planned') above(term.stderr, redactAll(describeResult(r)));
      else redraw();
    },
    close: () => multibar.stop(),
  };
}
