/**
 * Long lines for people, wrapped at spaces to the terminal's width, each continuation indented
 * under the line's value (after its label: `  flags    --scale <factor>  `), instead of the
 * terminal cutting words at the last column. Off a terminal lines stay whole, for scripts.
 */

/** Where a line's value starts: after the last run of two or more spaces in its first half. */
function hangingIndent(line: string, width: number): number {
  let indent = /^ */.exec(line)![0].length;
  for (const m of line.slice(0, Math.floor(width / 2)).matchAll(/ {2,}/g))
    indent = (m.index ?? 0) + m[0].length;
  return indent;
}

/**
 * Where to end a piece of at most `room` characters (not before `from`): at its last space, else
 * after its last `|` (a list of values, `2x|4x|8x`) or `/` (a long URL); else, for a longer word,
 * at the first space after it (the terminal wraps that one word); undefined when nothing is left.
 */
function breakAt(text: string, room: number, from: number): number | undefined {
  const space = text.lastIndexOf(' ', room);
  if (space > from) return space;
  // After a `|` of a list of values, else after a `/` of a long URL or path.
  for (const mark of ['|', '/']) {
    const at = text.lastIndexOf(mark, room - 1);
    if (at > from) return at + 1;
  }
  const next = text.indexOf(' ', Math.max(room, from + 1));
  return next > 0 ? next : undefined;
}

/**
 * One line as lines of at most `width` characters, broken at spaces (a longer word stays whole);
 * continuations are indented by `indent`, else under the line's value.
 */
export function wrapLine(line: string, width: number, indent?: number): string[] {
  if (line.length <= width || width < 20) return [line];
  const hang = Math.min(indent ?? hangingIndent(line, width), Math.floor(width / 2));
  const pad = ' '.repeat(hang);
  const lines: string[] = [];
  let rest = line;
  let prefix = '';
  // The first line breaks only within its value, never in its label.
  let from = indent === undefined ? hang : 0;
  while (prefix.length + rest.length > width) {
    const room = width - prefix.length;
    const at = breakAt(rest, room, from);
    if (at === undefined) break;
    from = 0;
    lines.push(`${prefix}${rest.slice(0, at).trimEnd()}`);
    rest = rest.slice(at).trimStart();
    prefix = pad;
  }
  lines.push(`${prefix}${rest}`);
  return lines;
}

/** `text`'s lines wrapped to `columns`, when it is a terminal's width; else `text` as it is. */
export function fitToWidth(text: string, columns: number | undefined, indent?: number): string {
  if (!columns || columns <= 0) return text;
  return text
    .split('\n')
    .flatMap((line) => wrapLine(line, columns - 1, indent))
    .join('\n');
}
