/**
 * Who owns a claim or a temp file: a host identity and a process id. A pid means something only
 * to a reader that shares the writer's pid namespace on the same running kernel: two containers
 * with one host name (or a shared volume) see different processes under the same number, and a
 * pid is reused after a reboot. So a pid is asked only when the owner's identity is this
 * process's own — host name, pid namespace and boot — and only to learn that an owner is gone,
 * never that it is alive.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/** The identity a claim or a temp name records for its owner. */
export interface HostIdentity {
  /** 12 hex digits, file-name safe. */
  readonly tag: string;
  /**
   * True when the tag names one pid namespace on one boot of one host (Linux, /proc readable):
   * only then may an owner with this tag be asked about its pid.
   */
  readonly verifiable: boolean;
}

/** What the identity is made of; undefined parts could not be read. */
export interface IdentitySources {
  readonly hostname: string;
  /** `readlink /proc/self/ns/pid`, e.g. `pid:[4026531836]`. */
  readonly pidNamespace: string | undefined;
  /** `/proc/sys/kernel/random/boot_id`. */
  readonly bootId: string | undefined;
}

/** The identity made of `sources` (pure, for tests). */
export function identityOf(sources: IdentitySources): HostIdentity {
  const { pidNamespace, bootId } = sources;
  const verifiable = !!pidNamespace && !!bootId;
  // An unverifiable identity hashes differently, so it can never equal a verifiable one.
  const text = verifiable
    ? `host\0${sources.hostname}\0${pidNamespace}\0${bootId}`
    : `unverified\0${sources.hostname}`;
  return { tag: createHash('sha256').update(text).digest('hex').slice(0, 12), verifiable };
}

function readOrUndefined(read: () => string): string | undefined {
  try {
    return read().trim() || undefined;
  } catch {
    return undefined;
  }
}

let own: HostIdentity | undefined;

/** This process's identity (read once: a process never changes pid namespace or boot). */
export function hostIdentity(): HostIdentity {
  own ??= identityOf({
    hostname: hostname(),
    pidNamespace: readOrUndefined(() => readlinkSync('/proc/self/ns/pid')),
    bootId: readOrUndefined(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')),
  });
  return own;
}

/** `<identity>-<pid>`: put in temp-file names so leftovers of dead processes can be told apart. */
export function ownerTag(pid = process.pid): string {
  return `${hostIdentity().tag}-${pid}`;
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

/**
 * True only when an owner recorded as (`tag`, `pid`) is certainly gone: it has this process's
 * verifiable identity and its pid does not run. Anything else — another host, another container,
 * an identity that cannot be checked, a pid that runs (maybe reused) — says nothing.
 */
export function ownerCertainlyGone(tag: string, pid: number, self = hostIdentity()): boolean {
  return self.verifiable && tag === self.tag && !processAlive(pid);
}

/**
 * Reads the owner out of a temp name made by tempNameBeside: `.<name>.<tag>-<pid>-<rand>.<suffix>`.
 * `legacy`: the 8-digit tag of earlier versions (a hash of the host name alone), which cannot tell
 * two containers apart.
 */
export function ownerOfTempName(name: string): { tag: string; pid: number; legacy: boolean } | undefined {
  const match = /\.([0-9a-f]{12}|[0-9a-f]{8})-(\d+)-[0-9a-f]{8}\.(?:part|tmp)$/.exec(name);
  return match ? { tag: match[1]!, pid: Number(match[2]), legacy: match[1]!.length === 8 } : undefined;
}

/** A temp file whose writer is certainly gone: this identity, and its pid does not run. */
export function isDeadOwnersTemp(name: string): boolean {
  const owner = ownerOfTempName(name);
  return owner !== undefined && !owner.legacy && ownerCertainlyGone(owner.tag, owner.pid);
}
