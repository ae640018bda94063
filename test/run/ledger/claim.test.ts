/** Claims on outputs: one holder at a time, a dead holder's claim taken over at once. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostId } from '../../../src/fs/owner.js';
import { acquireClaim, clearDeadClaim } from '../../../src/run/ledger/claim.js';

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('claims', () => {
  it('a second claimant waits for the holder, then gets the claim', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claim-'));
    const path = join(dir, 'k.lock');
    const first = await acquireClaim(path, { input: 'a.png' });
    let waited = false;
    let second: Awaited<ReturnType<typeof acquireClaim>> | undefined;
    const pending = acquireClaim(path, { input: 'a.png', onWait: () => (waited = true) }).then((c) => {
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

  it('takes over a claim whose process is gone, at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claim-'));
    const path = join(dir, 'k.lock');
    const dead = { pid: deadPid(), host: hostId(), token: 'dead0000', since: Date.now(), input: 'a.png' };
    await writeFile(path, JSON.stringify(dead));
    const started = Date.now();
    const claim = await acquireClaim(path, { input: 'a.png', onWait: () => expect.fail('must not wait') });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(claim.owner.pid).toBe(process.pid);
    await claim.release();
  });

  it("leaves a live holder's claim alone at start-up clean-up, removes a dead one's", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claim-'));
    const live = await acquireClaim(join(dir, 'live.lock'), { input: 'a.png' });
    await writeFile(
      join(dir, 'dead.lock'),
      JSON.stringify({ pid: deadPid(), host: hostId(), token: 'dead0001', since: 0, input: 'b.png' }),
    );
    expect(await clearDeadClaim(join(dir, 'live.lock'))).toBe(false);
    expect(await clearDeadClaim(join(dir, 'dead.lock'))).toBe(true);
    await live.release();
  });

  it('a claim from another host counts as alive until its heartbeat is a minute old', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claim-'));
    const path = join(dir, 'k.lock');
    await writeFile(
      path,
      JSON.stringify({ pid: 1, host: 'elsewhere', token: 'far00000', since: 0, input: 'x' }),
    );
    expect(await clearDeadClaim(path)).toBe(false);
  });
});
