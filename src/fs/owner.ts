/**
 * Who owns a claim or a temp file: this host and process. A claim whose process is gone is taken
 * over at once on the same host; from another host (a shared folder) only once its heartbeat is
 * stale, since a process there cannot be asked.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';

let hostTag: string | undefined;

/** A short, file-name-safe tag of this host. */
export function hostId(): string {
  hostTag ??= createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
  return hostTag;
}

/** `<host>-<pid>`: put in temp-file names so leftovers of dead processes can be told apart. */
export function ownerTag(pid = process.pid): string {
  return `${hostId()}-${pid}`;
}

/** True when process `pid` on this host is running (EPERM: it exists but is someone else's). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads the owner out of a temp name made by tempNameBeside: `.<name>.<host>-<pid>-<rand>.<suffix>`. */
export function ownerOfTempName(name: string): { host: string; pid: number } | undefined {
  const match = /\.([0-9a-f]{8})-(\d+)-[0-9a-f]{8}\.(?:part|tmp)$/.exec(name);
  return match ? { host: match[1]!, pid: Number(match[2]) } : undefined;
}

/** A temp file whose writer is certainly gone: same host and a dead pid. */
export function isDeadOwnersTemp(name: string): boolean {
  const owner = ownerOfTempName(name);
  return owner !== undefined && owner.host === hostId() && !processAlive(owner.pid);
}
