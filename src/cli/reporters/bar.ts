/**
 * On a TTY with several inputs: one progress bar (done/total, failed, ETA, the files in flight)
 * on the last line of stderr. Everything printed while it is live — messages on stderr, result
 * paths on stdout when stdout is the same terminal — goes through one writer that clears the
 * bar's line, prints, and draws the bar again below. cli-progress's MultiBar moves the cursor
 * relatively (its SingleBar saves and restores it, which put the summary back mid-screen).
 */
import type { TaskResult } from '../../api/results.js';
import { redactAll } from '../secrets.js';
import { palette, restoreTerminalOnExit, type Terminal } from '../terminal.js';
import { describeResult, describeState } from './describe.js';
import type { BatchProgress, Reporter } from './types.js';

const CLEAR_LINE = '\r\u001b[2K';

/** `1m05s` or `42s`. */
export function durationText(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds >= 60
    ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
    : `${seconds}s`;
}

/** `1m05s`, or `—` before anything finished (no rate to extrapolate from yet). */
export function etaText(done: number, total: number, elapsedMs: number): string {
  if (done === 0 || done >= total) return done >= total ? '0s' : '—';
  return durationText((elapsedMs / done) * (total - done));
}

/** What the bar line shows; `fitBarLine` makes it one line of the terminal. */
export interface BarState {
  readonly done: number;
  readonly total: number;
  readonly failed: number;
  readonly elapsedMs: number;
  /** What the inputs in flight are doing, in the order they started. */
  readonly inFlight: readonly string[];
  /** Requests wait for the key's budget this much longer (0: no wait). */
  readonly waitMs: number;
}

/**
 * The bar's line, at most `width - 1` columns (a full line would leave the cursor waiting to wrap,
 * and autowrap stays on for what is printed above the bar). What goes first when it does not fit:
 * the names of the inputs in flight, then the bar's width, then the words of the wait (its time stays).
 */
export function fitBarLine(state: BarState, width: number): string {
  const max = Math.max(10, width - 1);
  const eta = etaText(state.done, state.total, state.elapsedMs);
  // The ETA only once an input finished: before that there is no rate to go by.
  const timing = `${durationText(state.elapsedMs)}${eta === '—' || eta === '0s' ? '' : `, ETA ${eta}`}`;
  const counts = `${state.done}/${state.total}${state.failed > 0 ? ` | failed ${state.failed}` : ''} | ${timing}`;
  const waits =
    state.waitMs > 0
      ? [
          ` | waiting for the request budget: ${durationText(state.waitMs)}`,
          ` | budget ${durationText(state.waitMs)}`,
        ]
      : [''];
  const graphic = (size: number) => {
    const filled = state.total > 0 ? Math.round((state.done / state.total) * size) : 0;
    return `${'█'.repeat(filled)}${'░'.repeat(size - filled)} `;
  };
  for (const wait of waits) {
    for (const size of [20, 10, 0]) {
      const head = `${size > 0 ? graphic(size) : ''}${counts}${wait}`;
      if (head.length > max) continue;
      // As many names as fit, then how many more.
      const names = state.inFlight;
      for (let shown = names.length; shown >= 0; shown--) {
        const more = names.length - shown;
        const list = names.slice(0, shown).join(', ') + (more > 0 ? `${shown > 0 ? ' ' : ''}+${more}` : '');
        const line = list ? `${head} | ${list}` : head;
        if (line.length <= max) return line;
      }
      return head;
    }
  }
  return counts.slice(0, max);
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
  const line = () =>
    fitBarLine(
      {
        done,
        total,
        failed,
        elapsedMs: Date.now() - started,
        inFlight: [...inFlight].map(([name, state]) => (state ? `${name} ${state}` : name)),
        waitMs: Math.max(0, budgetUntil - Date.now()),
      },
      term.stderr.columns ?? 80,
    );
  restoreTerminalOnExit(term);
  const multibar = new progress.MultiBar(
    {
      stream: term.stderr,
      // Drawn each frame from the run's state, so the wait counts down and the line fits the width.
      format: () => line(),
      hideCursor: true,
      clearOnComplete: false,
      // Autowrap stays on (false would turn it off for the whole run and cut every line printed
      // above the bar at the terminal's width); the line is fitted to the width instead.
      linewrap: true,
      // Printing above the bar clears its line: the next frame draws it even when it is unchanged.
      forceRedraw: true,
      gracefulExit: false,
      fps: 5,
    },
    progress.Presets.shades_classic,
  );
  const payload = () => ({});
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
    note: (message) => above(term.stderr, redactAll(message)),
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
