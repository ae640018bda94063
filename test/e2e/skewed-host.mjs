/**
 * Preload (`NODE_OPTIONS=--import=<this file>`) that makes a CLI run look like it runs on another
 * host: its wall clock is FAKE_CLOCK_SHIFT_MS off (negative: behind) and its host name is
 * FAKE_HOSTNAME. Monotonic time (performance.now) is left alone, as a real host's would be: only
 * wall clocks disagree between machines. Used by test/e2e/fleet-claims.test.ts.
 */

import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';

const shift = Number(process.env.FAKE_CLOCK_SHIFT_MS ?? 0);
const RealDate = Date;

class ShiftedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + shift);
    else super(...args);
  }

  static now() {
    return RealDate.now() + shift;
  }
}

globalThis.Date = ShiftedDate;

const name = process.env.FAKE_HOSTNAME;
if (name) {
  os.hostname = () => name;
  // `import { hostname } from 'node:os'` in the CLI reads the builtin's ESM bindings: update them.
  syncBuiltinESMExports();
}
