// Preloaded (`node --import`) into code the docs show, so that an example pointed at a real host
// fails at once instead of reaching the internet: only loopback names resolve.
import dns from 'node:dns';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);
const lookup = dns.lookup;
dns.lookup = function guardedLookup(host, ...rest) {
  if (LOOPBACK.has(host)) return lookup.call(this, host, ...rest);
  const callback = rest.at(-1);
  const error = Object.assign(new Error(`the docs test allows no internet: ${host}`), { code: 'ENOTFOUND' });
  process.nextTick(() => callback(error));
};
