/** What the CLI knows about its terminal: colours, TTY, and one way to print errors. */
import type { UpscaleError } from '../errors.js';

export interface Terminal {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly isTTY: boolean;
  readonly color: boolean;
}

/** Colours only on a TTY, never with NO_COLOR (any value) or TERM=dumb; FORCE_COLOR wins. */
export function detectTerminal(env: NodeJS.ProcessEnv = process.env): Terminal {
  // A pty without a size (columns 0) makes spinners compute endless line clears: treat it as no TTY.
  const isTTY = Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0 && env.CI !== 'true';
  const force = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0';
  const color = force || (isTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb');
  return { stdout: process.stdout, stderr: process.stderr, isTTY, color };
}

const wrap = (on: boolean, open: number, close: number) => (text: string) =>
  on ? `\u001b[${open}m${text}\u001b[${close}m` : text;

export function palette(term: Pick<Terminal, 'color'>) {
  return {
    red: wrap(term.color, 31, 39),
    green: wrap(term.color, 32, 39),
    yellow: wrap(term.color, 33, 39),
    dim: wrap(term.color, 2, 22),
    bold: wrap(term.color, 1, 22),
  };
}

/** `error: <message>` then `  hint: <hint>`; the stack only with --verbose. */
export function formatError(error: UpscaleError, term: Pick<Terminal, 'color'>, verbose: boolean): string {
  const c = palette(term);
  const lines = [`${c.red('error:')} ${error.message}`];
  if (error.hint) lines.push(`  ${c.dim('hint:')} ${error.hint}`);
  if (verbose && error.requestId) lines.push(`  ${c.dim('request id:')} ${error.requestId}`);
  // A usage error is the user's to fix: its stack would only hide the message.
  if (verbose && error.stack && !error.isUsage)
    lines.push(c.dim(String(error.cause instanceof Error ? error.cause.stack : error.stack)));
  return `${lines.join('\n')}\n`;
}

/** Shows the cursor and turns autowrap on: what a live spinner or bar may have changed. */
export const RESTORE_TERMINAL = '\u001b[?25h\u001b[?7h';

let restoring = false;

/**
 * A live display is about to change the terminal (hide the cursor): whichever way the process
 * ends from here — a normal exit, a second Ctrl-C, an uncaught error, a closed pipe — the cursor
 * and autowrap are given back first (Node emits `exit` for each of them).
 */
export function restoreTerminalOnExit(term: Pick<Terminal, 'stderr' | 'isTTY'>): void {
  if (restoring || !term.isTTY) return;
  restoring = true;
  process.once('exit', () => {
    term.stderr.write(RESTORE_TERMINAL);
  });
}
