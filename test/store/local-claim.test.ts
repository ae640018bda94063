/**
 * Claims on outputs are leases: one holder at a time, a holder certainly gone (this host, pid
 * namespace and boot; its pid dead) taken over at once, any other claim only once it stopped
 * changing for the lease on the reader's own clock.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hostIdentity } from '../../src/fs/owner.js';
import { acquireClaim, clearDeadClaim, IdleClaims, LeaseWatch } from '../../src/store/local-claim.js';
import { ClaimHeldError, HEARTBEAT_MS, LEASE_MS } from '../../src/store/output-store.js';

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

/** A reader's clock that jumps `step` ms each time it is read: a lease passes in a few polls. */
function racingClock(step = 5_000): { now: () => number; readonly read: number } {
  let t = 0;
  let read = 0;
  return {
    now: () => {
      read++;
      t += step;
      return t;
    },
    get read() {
      return read;
    },
  };
}

/** A waiting reader's pause between two looks: short, so a lease on a racing clock passes in ms. */
const POLL_MS = 5;

/**
 * The holders' heartbeat on a fake interval timer (nothing else faked): `beat()` moves it on by
 * one HEARTBEAT_MS at once, so a test sees a beat without waiting two real seconds for it.
 */
function fakeBeats(): () => void {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  return () => vi.advanceTimersByTime(HEARTBEAT_MS);
}

const tempDir = () => mkdtemp(join(tmpdir(), 'claim-'));
const claimFile = (owner: Record<string, unknown>) =>
  JSON.stringify({ token: 'feed0000', since: 0, input: 'a.png', ...owner });

describe('LeaseWatch (the reader’s monotonic clock, never the claim’s times)', () => {
  it('is stale only once one signature stayed for the whole lease', () => {
    let t = 1_000;
    const watch = new LeaseWatch(20_000, () => t);
    expect(watch.unchangedForLease('a')).toBe(false);
    t += 19_999;
    expect(watch.unchangedForLease('a')).toBe(false);
    t += 1;
    expect(watch.unchangedForLease('a')).toBe(true);
  });

  it('starts over whenever the signature changes, and says the holder is beating', () => {
    let t = 0;
    const watch = new LeaseWatch(20_000, () => t);
    watch.unchangedForLease('beat 1');
    expect(watch.changed).toBe(false);
    t += 15_000;
    expect(watch.unchangedForLease('beat 2')).toBe(false);
    expect(watch.changed).toBe(true);
    t += 15_000;
    expect(watch.unchangedForLease('beat 2')).toBe(false);
    t += 5_000;
    expect(watch.unchangedForLease('beat 2')).toBe(true);
  });

  it('the lease is ten missed beats', () => {
    expect(LEASE_MS).toBe(10 * HEARTBEAT_MS);
  });
});

describe('claims', () => {
  let sleeper: ReturnType<typeof spawn> | undefined;
  afterEach(() => {
    sleeper?.kill('SIGKILL');
    sleeper = undefined;
  });

  it('a second claimant waits for the holder, then gets the claim', async () => {
    const path = join(await tempDir(), 'k.lock');
    const first = await acquireClaim(path, { input: 'a.png' });
    let waited = false;
    let second: Awaited<ReturnType<typeof acquireClaim>> | undefined;
    const pending = acquireClaim(path, { input: 'a.png', pollMs: POLL_MS, onWait: () => (waited = true) });
    void pending.then((c) => {
      second = c;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(waited).toBe(true);
    expect(second).toBeUndefined();
    await first.release();
    await pending;
    expect(second?.owner.token).not.toBe(first.owner.token);
    expect(JSON.parse(await readFile(path, 'utf8')).token).toBe(second?.owner.token);
    await second?.release();
  });

  it('takes over at once a claim of this host, pid namespace and boot whose process is gone', async () => {
    const path = join(await tempDir(), 'k.lock');
    await writeFile(path, claimFile({ pid: deadPid(), host: hostIdentity().tag }));
    const started = Date.now();
    const claim = await acquireClaim(path, { input: 'a.png', onWait: () => expect.fail('must not wait') });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(claim.owner.pid).toBe(process.pid);
    await claim.release();
  });

  it('a claim whose pid runs (an unrelated, reused pid) is taken over once unchanged for the lease', async () => {
    const path = join(await tempDir(), 'k.lock');
    sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    await writeFile(path, claimFile({ pid: sleeper.pid, host: hostIdentity().tag }));
    const clock = racingClock();
    let waited = false;
    const claim = await acquireClaim(path, {
      input: 'a.png',
      clock: clock.now,
      pollMs: POLL_MS,
      onWait: () => (waited = true),
    });
    // It waited (a pid that runs is not known dead) and read its own clock through a lease.
    expect(waited).toBe(true);
    expect(clock.read * 5_000).toBeGreaterThanOrEqual(LEASE_MS);
    expect(claim.owner.pid).toBe(process.pid);
    expect(sleeper.exitCode).toBeNull();
    await claim.release();
  });

  it("another container's claim (same host name, other pid namespace) is never taken at once, dead pid or not", async () => {
    const path = join(await tempDir(), 'k.lock');
    await writeFile(path, claimFile({ pid: deadPid(), host: '0123456789ab' }));
    expect(await clearDeadClaim(path)).toBe(false);
    const clock = racingClock();
    const claim = await acquireClaim(path, { input: 'a.png', clock: clock.now, pollMs: POLL_MS });
    expect(clock.read * 5_000).toBeGreaterThanOrEqual(LEASE_MS);
    await claim.release();
  });

  it('a claim written by an earlier version (host-name tag) waits out the lease too', async () => {
    const path = join(await tempDir(), 'k.lock');
    await writeFile(path, claimFile({ pid: deadPid(), host: '89abcdef' }));
    expect(await clearDeadClaim(path)).toBe(false);
  });

  it('no time in the claim counts: a day-old mtime is not stale, a future one does not keep it', async () => {
    const path = join(await tempDir(), 'k.lock');
    await writeFile(path, claimFile({ pid: 1, host: 'elsewhere000' }));
    const day = (Date.now() - 24 * 3600_000) / 1000;
    await utimes(path, day, day);
    expect(await clearDeadClaim(path)).toBe(false);
    const future = (Date.now() + 3600_000) / 1000;
    await utimes(path, future, future);
    const clock = racingClock();
    const claim = await acquireClaim(path, { input: 'a.png', clock: clock.now, pollMs: POLL_MS });
    expect(clock.read * 5_000).toBeGreaterThanOrEqual(LEASE_MS);
    await claim.release();
  });

  it('an empty lock file (its creator died before writing) is taken once it stayed empty for the lease', async () => {
    const path = join(await tempDir(), 'k.lock');
    await writeFile(path, '');
    expect(await clearDeadClaim(path)).toBe(false);
    const clock = racingClock();
    const claim = await acquireClaim(path, { input: 'a.png', clock: clock.now, pollMs: POLL_MS });
    expect(clock.read * 5_000).toBeGreaterThanOrEqual(LEASE_MS);
    await claim.release();
  });

  it("leaves a live holder's claim alone at start-up clean-up, removes a dead one's", async () => {
    const dir = await tempDir();
    const live = await acquireClaim(join(dir, 'live.lock'), { input: 'a.png' });
    await writeFile(join(dir, 'dead.lock'), claimFile({ pid: deadPid(), host: hostIdentity().tag }));
    expect(await clearDeadClaim(join(dir, 'live.lock'))).toBe(false);
    expect(await clearDeadClaim(join(dir, 'dead.lock'))).toBe(true);
    await live.release();
  });
});

describe('the holder', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('rewrites its claim every beat, and a reader sees it alive (failIfLive gives up at once)', async () => {
    const path = join(await tempDir(), 'k.lock');
    const beat = fakeBeats();
    const claim = await acquireClaim(path, { input: 'a.png' });
    const before = await readFile(path, 'utf8');
    const started = Date.now();
    let settled = false;
    const reader = expect(
      acquireClaim(path, { input: 'a.png', failIfLive: true, pollMs: POLL_MS }),
    ).rejects.toBeInstanceOf(ClaimHeldError);
    void reader.finally(() => (settled = true));
    // One beat at a time while the reader watches; it gives up once it saw one.
    for (let i = 0; i < 40 && !settled; i++) {
      await new Promise((r) => setTimeout(r, 50));
      beat();
    }
    await reader;
    expect(Date.now() - started).toBeLessThan(HEARTBEAT_MS + 2_000);
    expect(await readFile(path, 'utf8')).not.toBe(before);
    expect(JSON.parse(await readFile(path, 'utf8')).beat).toBeGreaterThan(0);
    await claim.release();
  });

  it('a holder whose claim was taken over does not confirm it, and its release leaves the new one', async () => {
    const dir = await tempDir();
    const path = join(dir, 'k.lock');
    const beat = fakeBeats();
    const claim = await acquireClaim(path, { input: 'a.png' });
    expect(await claim.confirm()).toBe(true);
    // A taker moved it aside and made its own (as after a stand-still past the lease).
    await rename(path, join(dir, 'aside'));
    await writeFile(path, claimFile({ pid: 1, host: 'elsewhere000', token: 'taker000' }));
    beat(); // its next beat finds the file is not its own
    expect(await claim.confirm()).toBe(false);
    expect(await claim.stillHeld()).toBe(false);
    await claim.release();
    expect(JSON.parse(await readFile(path, 'utf8')).token).toBe('taker000');
  });

  it('after standing still for half a lease it is not fresh; a fresh look finds it still its own', async () => {
    const path = join(await tempDir(), 'k.lock');
    const claim = await acquireClaim(path, { input: 'a.png' });
    expect(claim.isFresh()).toBe(true);
    const real = performance.now.bind(performance);
    const stoodStill = vi.spyOn(performance, 'now').mockImplementation(() => real() + LEASE_MS / 2);
    try {
      expect(claim.isFresh()).toBe(false);
      expect(await claim.confirm()).toBe(true);
      expect(claim.isFresh()).toBe(true);
    } finally {
      stoodStill.mockRestore();
    }
    await claim.release();
  });

  it('stood still past the lease and taken over meanwhile: not confirmed, so it does not pay', async () => {
    const dir = await tempDir();
    const path = join(dir, 'k.lock');
    const claim = await acquireClaim(path, { input: 'a.png' });
    const real = performance.now.bind(performance);
    const stoodStill = vi.spyOn(performance, 'now').mockImplementation(() => real() + LEASE_MS + 1_000);
    try {
      await rename(path, join(dir, 'aside'));
      await writeFile(path, claimFile({ pid: 1, host: 'elsewhere000', token: 'taker000' }));
      expect(claim.isFresh()).toBe(false);
      expect(await claim.confirm()).toBe(false);
    } finally {
      stoodStill.mockRestore();
    }
    await claim.release();
    expect(JSON.parse(await readFile(path, 'utf8')).token).toBe('taker000');
  });

  it('a holder whose claim was removed does not confirm it', async () => {
    const path = join(await tempDir(), 'k.lock');
    const beat = fakeBeats();
    const claim = await acquireClaim(path, { input: 'a.png' });
    await rm(path);
    beat(); // its next beat finds the file gone
    expect(await claim.confirm()).toBe(false);
    await claim.release();
  });
});

describe('IdleClaims (left by runs that ended in another container or host)', () => {
  it('removes at the end of a run a claim unchanged for the lease, keeps one that changed', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'idle.lock'), claimFile({ pid: 1, host: 'elsewhere000' }));
    await writeFile(join(dir, 'busy.lock'), claimFile({ pid: 1, host: 'elsewhere000', beat: 1 }));
    let t = 0;
    const idle = new IdleClaims(() => t);
    await idle.note(join(dir, 'idle.lock'));
    await idle.note(join(dir, 'busy.lock'));
    await writeFile(join(dir, 'busy.lock'), claimFile({ pid: 1, host: 'elsewhere000', beat: 2 }));
    t += LEASE_MS;
    await idle.sweep();
    await expect(readFile(join(dir, 'idle.lock'))).rejects.toThrow();
    expect(JSON.parse(await readFile(join(dir, 'busy.lock'), 'utf8')).beat).toBe(2);
  });
});
