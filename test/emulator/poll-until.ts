import { afterAll, beforeAll, beforeEach } from 'vitest';
/** Shared by the emulator tests: wait on the emulator's clock without a fixed sleep. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `fn` until `done` says yes (every `everyMs`); returns every value seen. */
export async function pollUntil<T>(
  fn: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 3000,
  everyMs = 10,
): Promise<T[]> {
  const seen: T[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    seen.push(v);
    if (done(v)) return seen;
    if (Date.now() > deadline) throw new Error(`timeout; last value ${JSON.stringify(v)}`);
    await sleep(everyMs);
  }
}

/**
 * The JSON request headers each provider family expects, with the emulator's keys. Comfy, as the
 * real proxy: the API key in X-API-KEY (`comfy`), the JWT as a Bearer token (`comfyJwt`).
 */
export function keyHeaders(keys: { freepik: string; comfy: string; comfyJwt: string; novita: string }) {
  const json = { 'content-type': 'application/json' };
  return {
    freepik: (): Record<string, string> => ({ ...json, 'x-freepik-api-key': keys.freepik }),
    comfy: (): Record<string, string> => ({ ...json, 'x-api-key': keys.comfy }),
    comfyJwt: (): Record<string, string> => ({ ...json, authorization: `Bearer ${keys.comfyJwt}` }),
    novita: (): Record<string, string> => ({ ...json, authorization: `Bearer ${keys.novita}` }),
  };
}

type Emulator = Awaited<ReturnType<typeof import('../../fixtures/emulator/index.js').startEmulator>>;

/**
 * One emulator for a test file: started once (then `ready` reads what the file needs), reset
 * before each test to the options it started with (its defaults: every knob a test turns goes off).
 */
export function useTestEmulator(processingMs: number, ready: (emu: Emulator) => Promise<void>) {
  let emu: Emulator | undefined;
  beforeAll(async () => {
    const { startEmulator } = await import('../../fixtures/emulator/index.js');
    emu = await startEmulator({ processingMs });
    await ready(emu);
  });
  afterAll(async () => {
    await emu?.close();
  });
  beforeEach(() => {
    emu!.reset();
    emu!.restoreOptions();
  });
}
