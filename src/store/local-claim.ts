/**
 * A claim on one output: a lock file created with O_EXCL in the output folder's ledger, so every
 * run that could write the same output sees it, whatever its config folder, container or host.
 *
 * A claim is a lease. Its holder rewrites the file every HEARTBEAT_MS (a beat counter, so the
 * content changes even where mtimes are coarse or cached); a reader takes it over once it has
 * watched the file not change for LEASE_MS on its own monotonic clock. No time written by another
 * host is ever compared with this host's clock, so a skewed clock neither ends a live claim nor
 * keeps a dead one. The pid in a claim is only a shortcut to "gone" (fs/owner.ts): a run killed
 * on this host, in this pid namespace and boot, is taken over at once; a pid that runs proves
 * nothing (it may be reused), so a claim that stopped changing is taken over after the lease
 * whatever its pid.
 *
 * The holder checks that it still holds the claim right before paying (`confirm`): a run that
 * stood still for longer than the lease (suspended, a stalled disk) may have been taken over, and
 * then waits for the output like any second run.
 *
 * The local folder's claims (store/local-folder.ts): the lease contract is in output-store.ts.
 * Hand-written rather than proper-lockfile: that library compares the lock's mtime with the
 * reader's clock (wrong across hosts) and cannot tell a killed run's lock from a live one's.
 */
import { randomBytes } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { link, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tempNameBeside } from '../fs/atomic-file.js';
import { hostIdentity, ownerCertainlyGone } from '../fs/owner.js';
import { delay } from '../http/delay.js';
import {
  type Claim,
  ClaimHeldError,
  type ClaimOptions,
  type ClaimOwner,
  HEARTBEAT_MS,
  type IdleClaimWatch,
  LEASE_MS,
} from './output-store.js';

/** A holder that stood still this long between two beats may have been judged stale meanwhile. */
const SUSPECT_GAP_MS = LEASE_MS / 2;
/** How long such a holder gives a taker that judged it stale to finish (or put the claim back). */
const SETTLE_MS = 1_000;

/** A moment on both clocks: the monotonic one (which may stop while the machine sleeps) and the wall. */
interface Instant {
  readonly mono: number;
  readonly wall: number;
}

const instant = (): Instant => ({ mono: performance.now(), wall: Date.now() });

/** Time since `from` by whichever clock says longer: a holder must never think itself fresher than it is. */
const elapsedSince = (from: Instant, to = instant()): number =>
  Math.max(to.mono - from.mono, to.wall - from.wall);

type FileId = Pick<BigIntStats, 'dev' | 'ino'>;
const sameFile = (a: FileId, b: FileId): boolean => a.dev === b.dev && a.ino === b.ino;

/** Claims this process holds, by token. */
const held = new Map<string, LocalClaim>();
let heartbeat: NodeJS.Timeout | undefined;

function startHeartbeat(): void {
  if (heartbeat) return;
  heartbeat = setInterval(() => {
    for (const claim of held.values()) void claim.refresh();
  }, HEARTBEAT_MS);
  heartbeat.unref();
}

function stopHolding(token: string): void {
  held.delete(token);
  if (held.size === 0 && heartbeat) {
    clearInterval(heartbeat);
    heartbeat = undefined;
  }
}

const serialize = (owner: ClaimOwner, beat: number): string => JSON.stringify({ ...owner, beat });

/** A lock file in the ledger folder, held by this process. */
class LocalClaim implements Claim {
  private beats = 0;
  private lastGood: Instant;
  private lost = false;
  private beating: Promise<boolean> | undefined;

  constructor(
    readonly path: string,
    readonly owner: ClaimOwner,
    private readonly file: FileId,
    createdAt: Instant,
  ) {
    this.lastGood = createdAt;
  }

  /** Rewrites the claim in place while it is still this process's; false once it is not. */
  refresh(): Promise<boolean> {
    this.beating ??= this.beat()
      .catch(() => false)
      .finally(() => {
        this.beating = undefined;
      });
    return this.beating;
  }

  /**
   * True when this process holds the claim and no reader can take it over for most of a lease:
   * its last beat is under HEARTBEAT_MS old, or a new one succeeds now. Called right before
   * paying; false means the run must not pay.
   */
  async confirm(): Promise<boolean> {
    // A beat in flight may be the one that finds a long stand-still: let it decide first.
    await this.beating;
    if (this.lost) return false;
    if (elapsedSince(this.lastGood) < HEARTBEAT_MS) return true;
    return this.refresh();
  }

  /**
   * Synchronous: false once the claim is known lost, or its last beat is half a lease old (this
   * process stood still), so a reader may judge it stale; `confirm` then tells for sure.
   */
  isFresh(): boolean {
    return !this.lost && elapsedSince(this.lastGood) < SUSPECT_GAP_MS;
  }

  /** True while the file at the claim's path is the one this process created, and holds its token. */
  async stillHeld(): Promise<boolean> {
    if (this.lost || !(await this.isOurs())) return false;
    return (await look(this.path))?.owner?.token === this.owner.token;
  }

  async release(): Promise<void> {
    stopHolding(this.owner.token);
    await this.beating;
    // Only our own file: after a takeover the lock there belongs to someone else.
    if (await this.stillHeld().catch(() => false)) await rm(this.path, { force: true });
    this.lost = true;
  }

  private async beat(): Promise<boolean> {
    if (this.lost) return false;
    const before = instant();
    const gap = elapsedSince(this.lastGood, before);
    let result = await this.rewrite();
    if (result === 'ok' && gap >= SUSPECT_GAP_MS) {
      // This process stood still for half a lease or more: a reader may have judged the claim
      // stale just before this rewrite and be moving it aside now. Let it finish (it puts back a
      // claim that changed), then look again.
      await delay(SETTLE_MS);
      result = (await this.isOurs()) ? 'ok' : 'lost';
    }
    if (result === 'lost') {
      this.lost = true;
      stopHolding(this.owner.token);
    } else if (result === 'ok') this.lastGood = before;
    return result === 'ok';
  }

  /** One beat: `failed` when the file could not be written (kept, but not fresh). */
  private async rewrite(): Promise<'ok' | 'lost' | 'failed'> {
    try {
      // By path, then checked: a handle kept open would go on writing into a file a taker moved aside.
      const handle = await open(this.path, 'r+');
      try {
        if (!sameFile(await handle.stat({ bigint: true }), this.file)) return 'lost';
        this.beats++;
        // Only ever longer than before (the counter grows): no truncation needed.
        await handle.write(serialize(this.owner, this.beats), 0, 'utf8');
      } finally {
        await handle.close();
      }
      // Written into our own file: it counts only if that file is still the claim.
      return (await this.isOurs()) ? 'ok' : 'lost';
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'lost' : 'failed';
    }
  }

  private async isOurs(): Promise<boolean> {
    const info = await stat(this.path, { bigint: true }).catch(() => undefined);
    return info !== undefined && sameFile(info, this.file);
  }
}

/** What a reader sees of a claim: a signature that changes with every beat, and the owner if readable. */
interface Look {
  readonly signature: string;
  readonly owner: ClaimOwner | undefined;
}

function parseOwner(text: string): ClaimOwner | undefined {
  try {
    const owner = JSON.parse(text) as ClaimOwner;
    return typeof owner.token === 'string' && typeof owner.pid === 'number' && typeof owner.host === 'string'
      ? owner
      : undefined;
  } catch {
    return undefined;
  }
}

/** The claim at `path` as it is now; undefined when there is none. */
async function look(path: string): Promise<Look | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // Opened and read, not only stat-ed: over NFS an open revalidates what a stat may serve from cache.
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // Unreadable (permissions): watch what stat says.
    const info = await stat(path, { bigint: true }).catch(() => undefined);
    return info && { signature: `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:?`, owner: undefined };
  }
  try {
    const info = await handle.stat({ bigint: true });
    const text = await handle.readFile('utf8');
    return {
      signature: `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${text}`,
      owner: parseOwner(text),
    };
  } finally {
    await handle.close();
  }
}

/**
 * Watches one claim on the reader's monotonic clock: stale once its signature stayed the same
 * for the whole lease. Never reads a time out of the claim.
 */
export class LeaseWatch {
  private seen: { readonly signature: string; readonly since: number } | undefined;
  /** True once the signature changed while watched: a holder is beating. */
  changed = false;

  constructor(
    private readonly leaseMs = LEASE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Notes the signature seen now; true when it has not changed for the lease. */
  unchangedForLease(signature: string): boolean {
    const now = this.now();
    if (this.seen?.signature !== signature) {
      if (this.seen) this.changed = true;
      this.seen = { signature, since: now };
      return false;
    }
    return now - this.seen.since >= this.leaseMs;
  }
}

/** True only when the holder is certainly gone: this identity, and its pid runs no more (or is us, not holding it). */
function holderGone(owner: ClaimOwner | undefined): boolean {
  if (!owner) return false;
  const self = hostIdentity();
  if (owner.pid === process.pid && self.verifiable && owner.host === self.tag) return !held.has(owner.token);
  return ownerCertainlyGone(owner.host, owner.pid, self);
}

/**
 * Removes a stale claim: moved aside first (only one taker can move it), then compared with what
 * was judged stale, so a claim whose holder beat meanwhile is put back rather than removed.
 * True when it was removed.
 */
async function takeOver(path: string, stale: string): Promise<boolean> {
  const aside = tempNameBeside(path, 'tmp');
  try {
    await rename(path, aside);
  } catch {
    return false; // already moved by another taker
  }
  const moved = await look(aside).catch(() => undefined);
  const alive = moved !== undefined && moved.signature !== stale;
  if (alive) await link(aside, path).catch(() => undefined);
  await rm(aside, { force: true });
  return !alive;
}

/** Tries once to create the claim; undefined when someone holds it (or took it at once). */
async function tryCreate(path: string, input: string): Promise<Claim | undefined> {
  const owner: ClaimOwner = {
    pid: process.pid,
    host: hostIdentity().tag,
    token: randomBytes(8).toString('hex'),
    since: Date.now(),
    input,
  };
  const createdAt = instant();
  // Written whole beside it, then linked into place (link fails if the name exists, as O_EXCL
  // does): a lock file is never seen empty. An empty one had no owner to ask, so it held every
  // later run back for a whole lease (a run killed between create and write left one behind).
  const temp = tempNameBeside(path, 'tmp');
  let file: FileId;
  try {
    await writeFile(temp, serialize(owner, 0), { mode: 0o600, flag: 'wx' });
    try {
      await link(temp, path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return undefined;
      // A file system without hard links (FAT, exFAT, some shares): create and write, as before.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw error;
      if (!(await createAndWrite(path, serialize(owner, 0)))) return undefined;
    }
    file = await stat(path, { bigint: true });
  } finally {
    await rm(temp, { force: true }).catch(() => undefined);
  }
  const claim = new LocalClaim(path, owner, file, createdAt);
  held.set(owner.token, claim);
  startHeartbeat();
  // A creator that stood still between the create and the write may find its file taken over.
  if (await claim.confirm()) return claim;
  stopHolding(owner.token);
  return undefined;
}

/** O_EXCL create, then write; false when the name exists. A failed write removes the file (never left empty). */
async function createAndWrite(path: string, text: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(text);
  } catch (error) {
    await handle.close();
    await rm(path, { force: true }).catch(() => undefined);
    throw error;
  }
  await handle.close();
  return true;
}

/** Takes the claim at `path`, waiting while another live run holds it. */
export async function acquireClaim(path: string, options: ClaimOptions): Promise<Claim> {
  const watch = new LeaseWatch(LEASE_MS, options.clock);
  let waited = false;
  for (;;) {
    const claim = await tryCreate(path, options.input);
    if (claim) return claim;
    const seen = await look(path);
    if (!seen) continue; // released meanwhile: try again at once
    if (holderGone(seen.owner) || watch.unchangedForLease(seen.signature)) {
      if (await takeOver(path, seen.signature)) continue;
    } else if (options.failIfLive && watch.changed) throw new ClaimHeldError(seen.owner);
    if (!waited) options.onWait?.(seen.owner);
    waited = true;
    await delay(options.pollMs ?? 250 + Math.floor(Math.random() * 500), options.signal);
  }
}

/**
 * Removes the claim at `path` when its holder is certainly gone (start-up clean-up, no waiting);
 * true when no claim is left there.
 */
export async function clearDeadClaim(path: string): Promise<boolean> {
  const seen = await look(path);
  if (!seen) return true;
  if (!holderGone(seen.owner)) return false;
  return takeOver(path, seen.signature);
}

/**
 * Claims found at start-up that nobody could show dead: watched from then on, and removed at the
 * end of the run when they did not change for a whole lease (a run of another container or host
 * that ended without releasing them). One that does change belongs to a live run and stays.
 */
export class IdleClaims implements IdleClaimWatch {
  private readonly watches = new Map<string, LeaseWatch>();

  constructor(private readonly clock?: () => number) {}

  async note(path: string): Promise<void> {
    const seen = await look(path).catch(() => undefined);
    if (!seen) return;
    const watch = new LeaseWatch(LEASE_MS, this.clock);
    watch.unchangedForLease(seen.signature);
    this.watches.set(path, watch);
  }

  /** Removes the noted claims that stayed unchanged for the lease; the others are left. */
  async sweep(): Promise<void> {
    for (const [path, watch] of this.watches) {
      const seen = await look(path).catch(() => undefined);
      if (seen && watch.unchangedForLease(seen.signature)) await takeOver(path, seen.signature);
      this.watches.delete(path);
    }
  }
}
