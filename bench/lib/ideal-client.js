// The least a client must do against the emulator: upload, ask once, download. Its time, with
// no processing on the server, is the "transfer time measured alone" the benchmarks compare to.
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';

/**
 * Sends every file to Freepik creative (2x) with `concurrency` in flight and downloads each
 * result into `outDir` as soon as it exists. The emulator must have processingMs 0.
 * @param {{ apiUrl: string, keys: { freepik: string } }} emu
 * @param {string[]} files
 * @param {number} concurrency
 * @param {string} outDir
 */
export async function idealTransfers(emu, files, concurrency, outDir) {
  const headers = { 'content-type': 'application/json', 'x-freepik-api-key': emu.keys.freepik };
  let next = 0;
  const one = async (/** @type {string} */ file) => {
    const image = (await readFile(file)).toString('base64');
    const submit = await request(`${emu.apiUrl}/v1/ai/image-upscaler`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ image, scale_factor: '2x' }),
    });
    const { data } = /** @type {{ data: { task_id: string } }} */ (await submit.body.json());
    const status = await request(`${emu.apiUrl}/v1/ai/image-upscaler/${data.task_id}`, { headers });
    const done = /** @type {{ data: { status: string, generated: string[] } }} */ (await status.body.json());
    const url = done.data.generated[0];
    if (done.data.status !== 'COMPLETED' || !url)
      throw new Error(`task not done at once: ${done.data.status}`);
    const download = await request(url);
    await pipeline(download.body, createWriteStream(join(outDir, `${basename(file)}.out`)));
  };
  const worker = async () => {
    while (next < files.length) await one(/** @type {string} */ (files[next++]));
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
}
