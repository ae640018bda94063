/** What a module pulls in when it is imported: the import-cost tests read it from the sources. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Static (non-type) imports of a module and, recursively, of the local modules it imports. */
export function staticImports(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const src = readFileSync(file, 'utf8');
  const specs = [...src.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)].map(
    (m) => m[1]!,
  );
  return specs.flatMap((s) =>
    s.startsWith('.') ? [s, ...staticImports(join(dirname(file), s.replace(/\.js$/, '.ts')), seen)] : [s],
  );
}

/** The packages (not node: built-ins, not local files) a module pulls in, each once. */
export function staticPackages(file: string): string[] {
  return [...new Set(staticImports(file).filter((s) => !s.startsWith('.') && !s.startsWith('node:')))];
}
