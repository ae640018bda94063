/**
 * Preload (`NODE_OPTIONS=--import=<this file>`) that makes chosen file-system calls of a CLI run
 * fail, for what a test cannot make a real disk do on demand: a file system without hard links
 * (exFAT, FAT, some network shares), a disk that fills up at one exact write, an open-file limit
 * met at one exact open. Used by test/e2e/file-system.test.ts.
 *
 * FS_FAULTS is a JSON array of rules, each failing the calls it matches with `code`:
 *   { "op": "link", "path": "/out/", "code": "EPERM" }                   every link into /out/
 *   { "op": "open", "path": "\\.upscale/[0-9a-f]+\\.json\\.", "code": "ENOSPC", "skip": 1, "times": 1 }
 * `op`: a function of node:fs/promises (link, open, rename, copyFile, writeFile, mkdir, rm, unlink);
 * `path`: a regular expression tested against each string argument (a rename or link matches on
 * either name); `skip`: matching calls let through first; `times`: how many fail (default: all).
 */
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

const MESSAGES = {
  ENOSPC: 'no space left on device',
  EMFILE: 'too many open files',
  EPERM: 'operation not permitted',
  ENOTSUP: 'operation not supported',
  EACCES: 'permission denied',
  EISDIR: 'illegal operation on a directory',
  EBUSY: 'resource busy or locked',
};

const rules = JSON.parse(process.env.FS_FAULTS ?? '[]').map((rule) => ({
  ...rule,
  pattern: new RegExp(rule.path),
  seen: 0,
  failed: 0,
}));

for (const op of new Set(rules.map((rule) => rule.op))) {
  const real = fsp[op];
  if (typeof real !== 'function') throw new Error(`fs-faults: no fs/promises.${op}`);
  fsp[op] = function faulty(...args) {
    const names = args.filter((a) => typeof a === 'string');
    for (const rule of rules) {
      if (rule.op !== op || !names.some((name) => rule.pattern.test(name))) continue;
      rule.seen++;
      if (rule.seen <= (rule.skip ?? 0) || rule.failed >= (rule.times ?? Number.POSITIVE_INFINITY)) continue;
      rule.failed++;
      const error = new Error(
        `${rule.code}: ${MESSAGES[rule.code] ?? 'injected fault'}, ${op} '${names[0]}'`,
      );
      return Promise.reject(Object.assign(error, { code: rule.code, syscall: op, path: names[0] }));
    }
    return real.apply(this, args);
  };
}
// `import { link } from 'node:fs/promises'` in the CLI reads the builtin's ESM bindings: update them.
syncBuiltinESMExports();
