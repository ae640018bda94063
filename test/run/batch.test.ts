import { describe, expect, it } from 'vitest';
import { runBatch } from '../../src/run/batch.js';
import type { InputItem, Place, RunContext, TaskResult } from '../../src/run/run-task.js';

/** A stand-in task the test drives by hand: finished at the provider, then written. */
interface Driven {
  readonly input: string;
  readonly place: Place;
  write(): void;
}

function driver() {
  const started: Driven[] = [];
  const run = (_run: RunContext, item: InputItem, place: Place) =>
    new Promise<TaskResult>((resolve) => {
      started.push({
        input: item.input,
        place,
        write: () =>
          resolve({ input: item.input, provider: 'test', status: 'succeeded', output: item.input }),
      });
    });
  return { started, run };
}

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ input: `in${i}.png` }) as InputItem);
const settings = {} as RunContext;
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('runBatch places', () => {
  it('starts no more than `concurrency` inputs while their tasks are in flight', async () => {
    const { started, run } = driver();
    const done = runBatch(settings, items(5), { concurrency: 2, run });
    await settle();
    expect(started.map((d) => d.input)).toEqual(['in0.png', 'in1.png']);
    started[0]!.write();
    await settle();
    expect(started).toHaveLength(3);
    for (let i = 1; i < 5; i++) {
      await settle();
      started[i]!.write();
    }
    expect((await done).map((r) => r.input)).toEqual(['in0.png', 'in1.png', 'in2.png', 'in3.png', 'in4.png']);
  });

  it('a task finished at the provider gives its place to the next input while its result is written', async () => {
    const { started, run } = driver();
    const ended: string[] = [];
    const done = runBatch(settings, items(3), { concurrency: 1, run, onResult: (r) => ended.push(r.input) });
    await settle();
    expect(started).toHaveLength(1);
    started[0]!.place.release();
    await settle();
    expect(started.map((d) => d.input)).toEqual(['in0.png', 'in1.png']);
    expect(ended).toEqual([]);
    started[1]!.write();
    started[0]!.write();
    await settle();
    started[2]!.write();
    const results = await done;
    expect(ended).toEqual(['in1.png', 'in0.png', 'in2.png']);
    expect(results.map((r) => r.input)).toEqual(['in0.png', 'in1.png', 'in2.png']);
  });

  it('holds no more inputs being written than places', async () => {
    const { started, run } = driver();
    const done = runBatch(settings, items(8), { concurrency: 2, run });
    for (let round = 0; round < 6; round++) {
      await settle();
      for (const d of started) d.place.release();
    }
    // Every task finished, none written: four inputs alive for two places, nothing more started.
    expect(started).toHaveLength(4);
    for (const d of started.slice(0, 2)) d.write();
    await settle();
    expect(started).toHaveLength(6);
    for (let round = 0; round < 6; round++) {
      for (const d of started) d.write();
      await settle();
    }
    expect(await done).toHaveLength(8);
  });

  it('an input that fails after giving its place back fails the batch once, not as an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const run = (_c: RunContext, input: { input: string }, place: Place) => {
        place.release();
        return input.input === 'bad'
          ? Promise.reject(new Error('boom'))
          : Promise.resolve({
              input: input.input,
              provider: 'test',
              status: 'skipped',
              output: 'x',
            } as TaskResult);
      };
      await expect(
        runBatch(settings, [{ input: 'ok' }, { input: 'bad' }], { concurrency: 1, run }),
      ).rejects.toThrow('boom');
      await settle();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
