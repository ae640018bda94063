/**
 * Names as they are printed in lines meant for people (`upscale status`, `upscale forget`): a
 * control character in a file name (a newline, a carriage return, an escape sequence) or a
 * bidirectional override is shown escaped, so one name is one line that cannot forge another line
 * or rewrite the terminal. `--json` output is JSON and needs none of this.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function printable(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
