/**
 * Every runnable command of the README and the docs runs, against the emulator the README's
 * "Try the cloud providers offline" starts, and ends as its block says: the README's from the
 * clone's root with nothing but the emulator's exports (a copy of the clone, its blocks in order),
 * the other docs' in a folder of sample files each. The README's library example runs too, on
 * the same exports, with no internet. The README stays a front door (≤ 20 KB) and no relative link
 * in the docs is dead.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrubbedEnv, spawnCollect } from '../e2e/cli-harness.js';
import { type DocBlock, extractBlocks, runsUpscale } from './doc-blocks.js';
import {
  type DocEmulator,
  inSandbox,
  makeClone,
  makeSandbox,
  makeShimDir,
  ROOT,
  runShell,
  startDocEmulator,
} from './sandbox.js';

const DOCS = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const blocks: DocBlock[] = DOCS.flatMap((file) => extractBlocks(file, read(file)));
const commands = blocks.flatMap((b) => b.commands);

let emulator: DocEmulator | undefined;
let shimDir = '';
beforeAll(async () => {
  emulator = await startDocEmulator();
  shimDir = await makeShimDir();
});
afterAll(async () => {
  await emulator?.stop();
  if (shimDir) await rm(shimDir, { recursive: true, force: true });
});

describe('npm run emulator', () => {
  it('prints the exports that point every cloud provider at it', () => {
    expect(Object.keys(emulator?.env ?? {})).toEqual(
      expect.arrayContaining([
        'UPSCALE_FREEPIK_BASE_URL',
        'UPSCALE_MAGNIFIC_BASE_URL',
        'UPSCALE_COMFY_BASE_URL',
        'UPSCALE_NOVITA_BASE_URL',
        'FREEPIK_API_KEY',
        'COMFY_API_KEY',
        'NOVITA_API_KEY',
        'UPSCALE_CONFIG_DIR',
        'EMULATOR_IMAGES',
      ]),
    );
  });
});

describe('runnable blocks', () => {
  it('are found, and each line runs upscale', () => {
    expect(commands.length).toBeGreaterThanOrEqual(40);
    expect(commands.filter((c) => c.file === 'README.md').length).toBeGreaterThanOrEqual(8);
    for (const c of commands) expect(runsUpscale(c.command), `${c.file}:${c.line} ${c.command}`).toBe(true);
  });
});

/**
 * The README's blocks, as a reader runs them: in order, from the root of one clone, in one shell
 * holding only the exports `npm run emulator` printed (its config folder included); `/tmp/` is a
 * folder of its own. A file the clone does not hold fails here.
 */
describe('the README, from the clone’s root', () => {
  let clone = '';
  let tmp = '';
  beforeAll(async () => {
    clone = await makeClone();
    tmp = await mkdtemp(join(tmpdir(), 'upscale-readme-tmp-'));
  }, 60_000);
  afterAll(async () => {
    for (const dir of [clone, tmp]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const block of blocks.filter((b) => b.file === 'README.md')) {
    const title = `README.md:${block.line}: ${block.commands.map((c) => c.command.split(/\s+#/)[0]).join(' ; ')}`;
    it(title, async () => {
      for (const c of block.commands) {
        const run = await runShell(c.command, {
          dir: clone,
          tmp,
          shimDir,
          emulatorEnv: emulator?.env ?? {},
          exportsOnly: true,
        });
        const where = `${c.file}:${c.line} \`${c.command}\`\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`;
        expect(run.code, where).toBe(c.exitCode);
        for (const path of c.writes) {
          const file = inSandbox(path, clone, tmp);
          expect(existsSync(isAbsolute(file) ? file : join(clone, file)), `${where}\nno ${path}`).toBe(true);
        }
      }
    }, 180_000);
  }

  it('its library example takes the exported keys and API roots, as the CLI does', async () => {
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('## Programmatic API'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code, 'a ```ts block under "Programmatic API"').toBeDefined();
    // `import … from 'upscale'` resolves in the clone by the package's own name (its exports).
    // Its `/tmp/` a folder of its own: an output written by the blocks above would be skipped
    // without asking any provider.
    const own = await mkdtemp(join(tmpdir(), 'upscale-readme-api-'));
    const script = join(clone, 'readme-example.mjs');
    await writeFile(script, inSandbox(code ?? '', clone, own));
    const run = await spawnCollect(
      process.execPath,
      ['--import', join(import.meta.dirname, 'no-internet.mjs'), script],
      { cwd: clone, env: { ...scrubbedEnv(), ...(emulator?.env ?? {}) }, timeout: 60_000 },
    );
    const where = `--- stdout\n${run.stdout}--- stderr\n${run.stderr}`;
    expect(run.code, where).toBe(0);
    expect(run.stdout, where).toMatch(/^succeeded /);
    await rm(own, { recursive: true, force: true });
  }, 90_000);
});

// Each block in a fresh folder, its lines in order (a later line may use what an earlier wrote);
// blocks run side by side.
describe.concurrent('documented commands', () => {
  for (const block of blocks.filter((b) => b.file !== 'README.md')) {
    const title = `${block.file}:${block.line}: ${block.commands.map((c) => c.command.split(/\s+#/)[0]).join(' ; ')}`;
    it(title, async ({ expect }) => {
      const dir = await makeSandbox();
      for (const c of block.commands) {
        const run = await runShell(c.command, { dir, shimDir, emulatorEnv: emulator?.env ?? {} });
        const where = `${c.file}:${c.line} \`${c.command}\`\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`;
        expect(run.code, where).toBe(c.exitCode);
        for (const path of c.writes) {
          const file = inSandbox(path, dir);
          expect(existsSync(isAbsolute(file) ? file : join(dir, file)), `${where}\nno ${path}`).toBe(true);
        }
      }
      await rm(dir, { recursive: true, force: true }); // kept when a command failed, to look into
    }, 180_000);
  }
});

describe('the docs themselves', () => {
  it('README.md stays a front door: 20 KB at most', () => {
    expect(statSync(join(ROOT, 'README.md')).size).toBeLessThanOrEqual(20 * 1024);
  });

  it.each([...DOCS, 'fixtures/emulator/README.md'])('%s has no dead relative link', (file) => {
    const dead: string[] = [];
    const text = withoutCode(read(file));
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] ?? '';
      if (/^[a-z]+:/i.test(target)) continue;
      const [path = '', anchor] = target.split('#');
      const abs = path === '' ? join(ROOT, file) : join(ROOT, dirname(file), path);
      if (!existsSync(abs)) {
        dead.push(`${target} (no ${relative(ROOT, abs)})`);
        continue;
      }
      if (anchor !== undefined && abs.endsWith('.md') && !anchorsOf(readFileSync(abs, 'utf8')).has(anchor))
        dead.push(`${target} (no heading #${anchor})`);
    }
    expect(dead).toEqual([]);
  });
});

function withoutCode(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '``');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const m of withoutFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const slug = (m[1] ?? '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    let unique = slug;
    for (let n = 1; anchors.has(unique); n++) unique = `${slug}-${n}`;
    anchors.add(unique);
  }
  return anchors;
}

function withoutFences(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');
}
