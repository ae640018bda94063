/**
 * A claim on one output: a lock file created with O_EXCL in the output folder's ledger, so every
 * run that could write the same output sees it, whatever its config folder. The holder refreshes
 * the file's time every few seconds; a claim whose process is gone (same host) or whose time is
 * stale (another host) is taken over.
 *
 * Hand-written rather than proper-lockfile: that library decides staleness by time alone, so a run
 * after `kill -9` would wait out the stale period for every input; here a dead pid on this host is
 * known at once.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { tempNameBeside } from '../../fs/atomic-file.js';
import { hostId, processAlive } from '../../fs/owner.js';
import { delay } from '../../http/delay.js';

/** How often a held claim's time is refreshed, and when another host's claim counts as abandoned. */
const HEARTBEAT_MS = 10_000;
const STALE_MS = 6 * HEARTBEAT_MS;
/** A lock file still empty after this long lost its writer between create and write. */
const EMPTY_GRACE_MS = 5_000;

export interface ClaimOwner {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
  readonly since: number;
  /** The input being worked on, for messages. */
  readonly input: string;
}

/** Claims this process holds, by token, with the path each refreshes. */
const held = new Map<string, string>();
let heartbeat: NodeJS.Timeout | undefined;

function startHeartbeat(): void {
  if (heartbeat) return;
  heartbeat = setInterval(() => {
    const now = new Date();
    for (const path of held.values()) utimes(path, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
}

export class Claim {
  constructor(
    readonly path: string,
    readonly owner: ClaimOwner,
  ) {}

  /** True while this process still holds the file it created (another run may have taken it over). */
  async stillHeld(): Promise<boolean> {
    return (await readOwner(this.path))?.token === this.owner.token;
  }

  async release(): Promise<void> {
    held.delete(this.owner.token);
    if (held.size === 0 && heartbeat) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
    // Only our own file: after a takeover the lock there belongs to someone else.
    if (await this.stillHeld()) await rm(this.path, { force: true });
  }
}

async function readOwner(path: string): Promise<ClaimOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path, 'utf8')) as ClaimOwner;
    return typeof owner.token === 'string' && typeof owner.pid === 'number' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the claim at `path` (owned by `owner`, or unreadable) still has a live holder. */
async function holderAlive(path: string, owner: ClaimOwner | undefined): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return false;
  const age = Date.now() - info.mtimeMs;
  if (!owner) return age < EMPTY_GRACE_MS;
  if (owner.host === hostId()) {
    if (owner.pid === process.pid) return held.has(owner.token);
    return processAlive(owner.pid);
  }
  return age < STALE_MS;
}

/**
 * Removes a dead holder's claim: moved aside first (only one taker can move it), then checked,
 * so a claim that a faster taker already renewed is put back rather than removed.
 */
async function takeOver(path: string, dead: ClaimOwner | undefined): Promise<void> {
  const aside = tempNameBeside(path, 'tmp');
  try {
    await rename(path, aside);
  } catch {
    return; // already moved by another taker
  }
  const moved = await readOwner(aside);
  if (dead && moved && moved.token !== dead.token) await link(aside, path).catch(() => undefined);
  await rm(aside, { force: true });
}

/** Tries once to create the claim; undefined when someone holds it. */
async function tryCreate(path: string, owner: ClaimOwner): Promise<Claim | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
  try {
    await handle.writeFile(JSON.stringify(owner));
  } finally {
    await handle.close();
  }
  held.set(owner.token, path);
  startHeartbeat();
  return new Claim(path, owner);
}

export interface ClaimOptions {
  readonly input: string;
  readonly signal?: AbortSignal | undefined;
  /** Called once when another live run holds the claim and this one starts waiting. */
  readonly onWait?: ((holder: ClaimOwner | undefined) => void) | undefined;
}

/** Takes the claim at `path`, waiting while another live run holds it. */
export async function acquireClaim(path: string, options: ClaimOptions): Promise<Claim> {
  const owner: ClaimOwner = {
    pid: process.pid,
    host: hostId(),
    token: randomBytes(8).toString('hex'),
    since: Date.now(),
    input: options.input,
  };
  let waited = false;
  for (;;) {
    const claim = await tryCreate(path, owner);
    if (claim) return claim;
    const holder = await readOwner(path);
    if (!(await holderAlive(path, holder))) {
      await takeOver(path, holder);
      continue;
    }
    if (!waited) options.onWait?.(holder);
    waited = true;
    await delay(250 + Math.floor(Math.random() * 500), options.signal);
  }
}

/** Removes the claim at `path` when its holder is gone (start-up clean-up); true when removed. */
export async function clearDeadClaim(path: string): Promise<boolean> {
  const holder = await readOwner(path);
  if (await holderAlive(path, holder)) return false;
  await takeOver(path, holder);
  return true;
}
