/** Keys known to this process; everything the CLI prints passes through `redactAll`. */
import { redact } from '../api/redact.js';

const known = new Set<string>();

export function addSecret(value: string | undefined): void {
  if (value && value.length >= 4) known.add(value);
}

export function secrets(): string[] {
  return [...known];
}

export function redactAll(text: string): string {
  return known.size === 0 ? text : redact(text, [...known]);
}
