/** Owner identity: a pid is asked only within this host's own pid namespace and boot. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  hostIdentity,
  identityOf,
  isDeadOwnersTemp,
  ownerCertainlyGone,
  ownerOfTempName,
  ownerTag,
} from '../../src/fs/owner.js';

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

const here = { hostname: 'box', pidNamespace: 'pid:[4026531836]', bootId: 'b0a7-1' };

describe('identityOf', () => {
  it.each([
    ['another pid namespace (a container with the same host name)', { pidNamespace: 'pid:[4026532176]' }],
    ['another boot (the pid may be reused)', { bootId: 'b0a7-2' }],
    ['another host name', { hostname: 'other' }],
  ])('differs for %s', (_what, change) => {
    expect(identityOf({ ...here, ...change }).tag).not.toBe(identityOf(here).tag);
  });

  it('is verifiable only when the pid namespace and the boot can be read', () => {
    expect(identityOf(here)).toMatchObject({ verifiable: true });
    expect(identityOf({ ...here, pidNamespace: undefined })).toMatchObject({ verifiable: false });
    expect(identityOf({ ...here, bootId: undefined })).toMatchObject({ verifiable: false });
  });

  it('an unverifiable identity never equals a verifiable one of the same host name', () => {
    expect(identityOf({ hostname: 'box', pidNamespace: undefined, bootId: undefined }).tag).not.toBe(
      identityOf(here).tag,
    );
  });

  it('tags are 12 hex digits (earlier versions wrote 8)', () => {
    expect(identityOf(here).tag).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('ownerCertainlyGone', () => {
  const self = identityOf(here);
  it('only for this identity and a pid that does not run', () => {
    expect(ownerCertainlyGone(self.tag, deadPid(), self)).toBe(true);
    expect(ownerCertainlyGone(self.tag, process.pid, self)).toBe(false);
    expect(ownerCertainlyGone(identityOf({ ...here, pidNamespace: 'pid:[1]' }).tag, deadPid(), self)).toBe(
      false,
    );
  });

  it('never when this process cannot read its own identity', () => {
    const blind = identityOf({ ...here, bootId: undefined });
    expect(ownerCertainlyGone(blind.tag, deadPid(), blind)).toBe(false);
  });
});

describe('temp names', () => {
  it('parse with the owner, old host-name-only tags too', () => {
    expect(ownerOfTempName(`.a@2x.png.${ownerTag(42)}-0123abcd.part`)).toEqual({
      tag: hostIdentity().tag,
      pid: 42,
      legacy: false,
    });
    expect(ownerOfTempName('.a@2x.png.89abcdef-42-0123abcd.tmp')).toEqual({
      tag: '89abcdef',
      pid: 42,
      legacy: true,
    });
    expect(ownerOfTempName('.a@2x.png.0123abcd.part')).toBeUndefined();
  });

  it("a dead process's temp is dead only under this identity; an old name never is", () => {
    const dead = deadPid();
    expect(isDeadOwnersTemp(`.a.${ownerTag(dead)}-0123abcd.part`)).toBe(hostIdentity().verifiable);
    expect(isDeadOwnersTemp(`.a.${ownerTag()}-0123abcd.part`)).toBe(false);
    expect(isDeadOwnersTemp(`.a.0123456789ab-${dead}-0123abcd.part`)).toBe(false);
    expect(isDeadOwnersTemp(`.a.${hostIdentity().tag.slice(0, 8)}-${dead}-0123abcd.part`)).toBe(false);
  });

  it('this Linux test machine has a verifiable identity', () => {
    if (process.platform === 'linux') expect(hostIdentity().verifiable).toBe(true);
  });
});
