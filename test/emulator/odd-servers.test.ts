// The emulator's knobs for servers that answer oddly (issue 23): id reuse and stale-cache answers,
// a lagging CDN, a valid image served as text/plain, a huge stream, and a key echoed in an error
// body. Every test talks real HTTP to the emulator.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../../fixtures/emulator/index.js';
import { keyHeaders, pollUntil, sleep, useTestEmulator } from './poll-until.js';

interface FreepikTask {
  task_id: string;
  status: string;
  generated: string[];
}

let emu: Emulator;
let small: string;

useTestEmulator(60, async (started) => {
  emu = started;
  small = (await readFile(new URL('../../fixtures/images/small.png', import.meta.url))).toString('base64');
});

const headers = () => keyHeaders(emu.keys).freepik();
const PATH = '/v1/ai/image-upscaler';

async function submit(): Promise<FreepikTask> {
  const res = await fetch(`${emu.apiUrl}${PATH}`, {
    method: 'POST',
    headers: headers(),
    body: JSON.stringify({ image: small }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: FreepikTask }).data;
}

async function status(id: string): Promise<FreepikTask> {
  const res = await fetch(`${emu.apiUrl}${PATH}/${id}`, { headers: headers() });
  return ((await res.json()) as { data: FreepikTask }).data;
}

async function completed(id: string): Promise<FreepikTask> {
  return (
    await pollUntil(
      () => status(id),
      (t) => t.status === 'COMPLETED',
    )
  ).at(-1)!;
}

describe('answers naming another task', () => {
  it("'create-then-reuse-id': the task is created, the answer names the newest older task", async () => {
    const older = await submit();
    emu.script('submit', ['create-then-reuse-id']);
    const answered = await submit();
    expect(answered.task_id).toBe(older.task_id);
    expect(emu.submissions()).toBe(2);
    const created = emu.requests.at(-1)!.taskId!;
    expect(created).not.toBe(older.task_id);
    expect(emu.task(created)).toBeDefined();
  });

  it("'create-then-reuse-id' with no older task answers normally", async () => {
    emu.script('submit', ['create-then-reuse-id']);
    const only = await submit();
    expect(only.task_id).toBe(emu.requests.at(-1)!.taskId);
  });

  it("'other-task': a status answered with the newest other task's state; 404 when there is none", async () => {
    const a = await submit();
    const b = await submit();
    emu.script('status', ['other-task']);
    expect((await status(a.task_id)).task_id).toBe(b.task_id);
    emu.script('status', ['other-task']);
    expect((await status(b.task_id)).task_id).toBe(a.task_id);
    // Once: the next status is the task's own.
    expect((await status(a.task_id)).task_id).toBe(a.task_id);
    emu.reset();
    const alone = await submit();
    emu.script('status', ['other-task']);
    const res = await fetch(`${emu.apiUrl}${PATH}/${alone.task_id}`, { headers: headers() });
    expect(res.status).toBe(404);
  });
});

describe('downloads', () => {
  it('cdnLagMs: a published URL answers 404 for that long, then the file', async () => {
    emu.set({ cdnLagMs: 300 });
    const done = await completed((await submit()).task_id);
    const url = done.generated[0]!;
    expect((await fetch(url)).status).toBe(404);
    await sleep(350);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
  });

  it("'text-plain': the image's bytes under text/plain", async () => {
    const done = await completed((await submit()).task_id);
    emu.script('download', ['text-plain']);
    const res = await fetch(done.generated[0]!);
    expect(res.headers.get('content-type')).toBe('text/plain');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
  });

  it("'huge' streams hugeBytes without a length, 'huge-declared' with one; both stop on hang-up", async () => {
    emu.set({ hugeBytes: 3_000_000 });
    const done = await completed((await submit()).task_id);
    emu.script('download', ['huge', 'huge-declared', 'huge']);
    const res = await fetch(done.generated[0]!);
    expect(res.headers.get('content-length')).toBeNull();
    const got = Buffer.from(await res.arrayBuffer());
    expect(got.length).toBe(3_000_000);
    expect(got.subarray(1, 4).toString()).toBe('PNG');
    const declared = await fetch(done.generated[0]!);
    expect(declared.headers.get('content-length')).toBe('3000000');
    await declared.arrayBuffer();

    emu.set({ hugeBytes: 1_500_000_000 });
    const ac = new AbortController();
    const cut = await fetch(done.generated[0]!, { signal: ac.signal });
    const reader = cut.body!.getReader();
    let received = 0;
    while (received < 1_000_000) received += (await reader.read()).value?.length ?? 0;
    ac.abort();
    await sleep(100);
    const entry = emu.cdnRequests.at(-1)!;
    const sent = entry.bodyBytes!;
    await sleep(100);
    expect(entry.bodyBytes).toBe(sent);
    expect(sent).toBeLessThan(50_000_000);
  });
});

describe('echoKey: a server echoing the credential into its error body', () => {
  it('the message ends with the credential the request sent', async () => {
    emu.script('submit', [{ status: 500, echoKey: true }]);
    const res = await fetch(`${emu.apiUrl}${PATH}`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ image: small }),
    });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { message: string }).message).toBe(
      `Internal Server Error (request credential: ${emu.keys.freepik})`,
    );
    expect(emu.submissions()).toBe(0);
  });

  it('Novita and Comfy: the Bearer token or X-API-KEY value', async () => {
    emu.script('submit', [{ status: 500, echoKey: true }], { provider: 'novita' });
    const res = await fetch(`${emu.apiUrl}/v3/async/image-upscaler`, {
      method: 'POST',
      headers: keyHeaders(emu.keys).novita(),
      body: JSON.stringify({ image: 'http://127.0.0.1/x.png' }),
    });
    expect(((await res.json()) as { message: string }).message).toContain(emu.keys.novita);
    emu.script('submit', [{ status: 502, echoKey: true }], { provider: 'comfy' });
    const comfy = await fetch(`${emu.apiUrl}/proxy/freepik${PATH}`, {
      method: 'POST',
      headers: keyHeaders(emu.keys).comfy(),
      body: JSON.stringify({ image: small }),
    });
    expect(JSON.stringify(await comfy.json())).toContain(emu.keys.comfy);
  });
});

describe('afterCreate: a submit fault object answered after the task is created', () => {
  it('creates the task, then answers with the status and body given', async () => {
    emu.script('submit', [
      { status: 500, body: { message: 'Internal error: billing service timeout' }, afterCreate: true },
    ]);
    const res = await fetch(`${emu.apiUrl}${PATH}`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ image: small }),
    });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: 'Internal error: billing service timeout' });
    expect(emu.submissions()).toBe(1);
    expect(emu.requests.at(-1)!.taskId).toBe(emu.tasks[0]!.id);
  });
});
