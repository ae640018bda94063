/** The runtime registry: loadRuntime asks src/local/runtimes/index.ts, in its order, and nothing else. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalEngineMissingError } from '../../src/local/errors.js';

// A fake runtime put first in the registry: an ONNX module on disk whose session doubles its input.
const fake = vi.hoisted(() => ({ entry: undefined as string | undefined, configured: [] as number[] }));
vi.mock('../../src/local/runtimes/index.js', async (importActual) => {
  const actual = await importActual<typeof import('../../src/local/runtimes/index.js')>();
  const fakeRuntime = {
    name: 'fake-runtime',
    find: () => fake.entry,
    configure: (_ort: unknown, threads: number) => {
      fake.configured.push(threads);
      return { threads: threads + 1, sessionOptions: { tag: 'fake' } };
    },
    missing: (entry: string | undefined) =>
      new LocalEngineMissingError(`fake missing (${entry ?? 'none'})`, 'add the fake', ['fake-runtime']),
  };
  return { ...actual, LOCAL_RUNTIMES: [fakeRuntime, ...actual.LOCAL_RUNTIMES] };
});

const { LOCAL_RUNTIMES } = await import('../../src/local/runtimes/index.js');
const { loadRuntime } = await import('../../src/local/runtime.js');

const FAKE_ORT = `
export const env = { wasm: {} };
export class Tensor { constructor(type, data, dims) { this.type = type; this.data = data; this.dims = dims; } }
export const InferenceSession = {
  async create(model, options) {
    if (options.tag !== 'fake') throw new Error('wrong session options');
    return {
      async run(feeds) {
        const t = feeds.x;
        const [n, c, h, w] = t.dims;
        const out = new Float32Array(n * c * h * 2 * w * 2);
        for (let i = 0; i < out.length; i++) out[i] = t.data[i % t.data.length] * 2;
        return { y: new Tensor('float32', out, [n, c, h * 2, w * 2]) };
      },
      async release() {},
    };
  },
};
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'upscale-runtimes-'));
  await writeFile(join(dir, 'fake-ort.mjs'), FAKE_ORT);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the runtime registry', () => {
  it('lists onnxruntime-node before onnxruntime-web, each name once', async () => {
    const { LOCAL_RUNTIMES: real } = await vi.importActual<
      typeof import('../../src/local/runtimes/index.js')
    >('../../src/local/runtimes/index.js');
    expect(real.map((r) => r.name)).toEqual(['onnxruntime-node', 'onnxruntime-web']);
  });

  it("'auto' loads the first registered runtime that is here, and runs sessions through it", async () => {
    fake.entry = join(dir, 'fake-ort.mjs');
    const runtime = await loadRuntime('auto', 3);
    expect(runtime.name).toBe('fake-runtime');
    expect(runtime.threads).toBe(4);
    expect(fake.configured).toEqual([3]);
    const runner = await runtime.createRunner(new Uint8Array(), 'x', 'y');
    const out = await runner.run(new Float32Array([1, 2, 3]), 1, 1);
    expect({ height: out.height, width: out.width }).toEqual({ height: 2, width: 2 });
    expect(Array.from(out.data.slice(0, 4))).toEqual([2, 4, 6, 2]);
  });

  it("'auto' passes over a registered runtime that is not here, to the next in order", async () => {
    fake.entry = undefined;
    const runtime = await loadRuntime('auto', 1);
    const next = LOCAL_RUNTIMES.slice(1).find((r) => r.find());
    expect(runtime.name).toBe(next?.name);
    expect(runtime.name).not.toBe('fake-runtime');
  });

  it('a runtime asked for by name that cannot load rejects with its own error', async () => {
    fake.entry = join(dir, 'not-there.mjs');
    const err = await loadRuntime('fake-runtime' as 'onnxruntime-web', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalEngineMissingError);
    expect((err as LocalEngineMissingError).message).toBe(
      `fake missing (${join(dir, 'not-there.mjs')}) Install with: add the fake`,
    );
    expect((err as LocalEngineMissingError).hint).toBe('add the fake');
  });
});
