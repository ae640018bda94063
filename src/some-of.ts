/** A long list said in a line: the first few names, then how many more. Pure. */

/** `a, b, c, … (4 more)`. */
export function someOf(names: readonly string[], shown = 3): string {
  const more = names.length > shown ? `, … (${names.length - shown} more)` : '';
  return `${names.slice(0, shown).join(', ')}${more}`;
}
