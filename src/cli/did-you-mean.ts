/** "did you mean --scale?" for a mistyped flag: the closest known one, within two edits. */

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The known flag nearest to `typed` (`--sacle=4x` → `--scale`), or undefined when none is close. */
export function closestFlag(typed: string, known: readonly string[]): string | undefined {
  const name = typed.split('=')[0]!;
  let best: { flag: string; d: number } | undefined;
  for (const flag of new Set(known)) {
    const d = distance(name, flag);
    if (d <= 2 && (!best || d < best.d)) best = { flag, d };
  }
  return best?.flag;
}
