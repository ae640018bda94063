/**
 * Which way imports may run (CONTRIBUTING.md), and no import circles: the rules are
 * .dependency-cruiser.cjs, checked here with dependency-cruiser over src/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseConfig from 'dependency-cruiser/config-utl/extract-depcruise-config';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const config = await extractDepcruiseConfig(join(ROOT, '.dependency-cruiser.cjs'));

/** Every rule broken under `baseDir`'s src/, one line each: `rule: a → b (→ c …)`. */
async function violations(baseDir: string): Promise<string[]> {
  const { output } = await cruise(['src'], {
    ...config.options,
    tsConfig: { fileName: join(ROOT, 'tsconfig.json') },
    baseDir,
    validate: true,
    ruleSet: { forbidden: config.forbidden ?? [] },
  });
  const found: IViolation[] = (output as ICruiseResult).summary.violations;
  return found.map(
    (v) => `${v.rule.name}: ${[v.from, ...(v.cycle?.map((c) => c.name) ?? [v.to])].join(' → ')}`,
  );
}

describe('import rules', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'upscale-imports-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('src/ breaks none: no circles, no import against the layers', async () => {
    expect(await violations(ROOT)).toEqual([]);
  }, 60_000);

  it('would see a circle and an import against the layers', async () => {
    mkdirSync(join(scratch, 'src/run'), { recursive: true });
    mkdirSync(join(scratch, 'src/providers'), { recursive: true });
    writeFileSync(join(scratch, 'src/run/a.ts'), "import { b } from './b.js';\nexport const a = () => b;\n");
    writeFileSync(join(scratch, 'src/run/b.ts'), "import { a } from './a.js';\nexport const b = () => a;\n");
    writeFileSync(
      join(scratch, 'src/providers/p.ts'),
      "import type { a } from '../run/a.js';\nexport type P = typeof a;\n",
    );
    const found = await violations(scratch);
    expect(found).toContain('no-circular: src/run/a.ts → src/run/b.ts → src/run/a.ts');
    expect(found).toContain(
      'providers-imports-no-cli-run-api-http-image-local: src/providers/p.ts → src/run/a.ts',
    );
  }, 60_000);

  it('lets src/cli/ reach the library only through src/api/, options.ts, errors.ts and the pure leaves', async () => {
    const dir = join(scratch, 'cli');
    const files: Record<string, string> = {
      'src/run/task.ts': 'export const task = 1;\n',
      'src/providers/list.ts': 'export type Listed = string;\n',
      'src/api/task.ts': "export { task } from '../run/task.js';\n",
      'src/options.ts': 'export const option = 1;\n',
      'src/errors.ts': 'export const error = 1;\n',
      'src/formats.ts': 'export const format = 1;\n',
      'src/some-of.ts': 'export const someOf = 1;\n',
      'src/cli/help.ts': 'export const help = 1;\n',
      'src/cli/through-api.ts': [
        "import { task } from '../api/task.js';",
        "import { error } from '../errors.js';",
        "import { format } from '../formats.js';",
        "import { option } from '../options.js';",
        "import { someOf } from '../some-of.js';",
        "import { help } from './help.js';",
        'export const all = [task, error, format, option, someOf, help];',
      ].join('\n'),
      'src/cli/past-api.ts': "import { task } from '../run/task.js';\nexport const t = task;\n",
      'src/cli/commands/past-api-type.ts':
        "import type { Listed } from '../../providers/list.js';\nexport type L = Listed;\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    expect((await violations(dir)).sort()).toEqual([
      'cli-imports-only-api-options-errors: src/cli/commands/past-api-type.ts → src/providers/list.ts',
      'cli-imports-only-api-options-errors: src/cli/past-api.ts → src/run/task.ts',
    ]);
  }, 60_000);
});
