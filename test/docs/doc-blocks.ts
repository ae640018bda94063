/**
 * The runnable commands of the README and docs/*.md (see CONTRIBUTING.md, "Commands in the docs"):
 * fenced blocks opened with exactly ```sh runnable. Each logical line (`\` continues it) is one
 * command; a trailing `# exit N` gives the exit code it must end with (default 0), a trailing
 * `# writes PATH[, PATH]` files it must leave. Full-line comments and `export NAME=…` lines (a
 * placeholder key: the test supplies the emulator's) are not run.
 */

export const RUNNABLE_FENCE = '```sh runnable';

export interface DocCommand {
  /** Repository-relative file, e.g. `README.md`, `docs/providers.md`. */
  readonly file: string;
  /** 1-based line of the command's first line. */
  readonly line: number;
  /** The shell text as written (continuations joined), comments included. */
  readonly command: string;
  readonly exitCode: number;
  readonly writes: readonly string[];
}

export interface DocBlock {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly commands: readonly DocCommand[];
}

/** Every ```sh runnable block of one Markdown file, in order. */
export function extractBlocks(file: string, text: string): DocBlock[] {
  const lines = text.split('\n');
  const blocks: DocBlock[] = [];
  let fence: { info: string; line: number; body: { text: string; line: number }[] } | undefined;
  for (const [index, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, '');
    if (fence === undefined) {
      if (line.startsWith('```')) fence = { info: line.trimEnd(), line: index + 1, body: [] };
      continue;
    }
    if (line.trimEnd() === '```') {
      if (fence.info === RUNNABLE_FENCE) blocks.push(parseBlock(file, fence.line, fence.body));
      fence = undefined;
      continue;
    }
    fence.body.push({ text: line, line: index + 1 });
  }
  if (fence !== undefined) throw new Error(`${file}:${fence.line}: unclosed code fence`);
  return blocks;
}

function parseBlock(file: string, line: number, body: { text: string; line: number }[]): DocBlock {
  const commands: DocCommand[] = [];
  let pending: { text: string; line: number } | undefined;
  for (const row of body) {
    const joined = pending ? `${pending.text}\n${row.text}` : row.text;
    const start = pending?.line ?? row.line;
    if (row.text.endsWith('\\')) {
      pending = { text: joined, line: start };
      continue;
    }
    pending = undefined;
    const command = joined.trim();
    if (command === '' || command.startsWith('#') || /^export\s+\w+=/.test(command)) continue;
    commands.push({ file, line: start, command, ...expectations(command) });
  }
  if (pending !== undefined) throw new Error(`${file}:${pending.line}: a command ends with \\`);
  return { file, line, commands };
}

/** What the trailing comment of a command asks for. */
function expectations(command: string): { exitCode: number; writes: string[] } {
  const comment = trailingComment(command);
  const exit = /^#\s*exit\s+(\d+)\b/.exec(comment);
  const writes = /^#\s*writes\s+(.*)$/.exec(comment);
  return { exitCode: exit ? Number(exit[1]) : 0, writes: writes ? pathsOf(writes[1] ?? '') : [] };
}

/** The `# …` comment that ends a shell line (a `#` outside quotes that starts a word), or ''. */
export function trailingComment(command: string): string {
  let quote: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(command[i - 1] ?? ''))) return command.slice(i);
  }
  return '';
}

/** `a.png, b/c.png: more words` → the paths, up to the first word that is not one. */
function pathsOf(text: string): string[] {
  const paths: string[] = [];
  for (const word of text.split(/[\s,]+/)) {
    const m = /^([\w./@-]+?)([:;]?)$/.exec(word);
    if (!m?.[1]) break;
    paths.push(m[1]);
    if (m[2]) break;
  }
  return paths;
}

/** A runnable line must run the CLI: `upscale …`, possibly at the end of a pipe. */
export function runsUpscale(command: string): boolean {
  // Variables set for the one command (`CI_NODE_INDEX=2 upscale …`) may come first.
  return /(^|[|;&]\s*)([A-Z_][A-Z0-9_]*=\S*\s+)*upscale(\s|$)/.test(command);
}
