/**
 * The end of `upscale --help`: the variables that matter, the config file's path and where the
 * docs are. Kept light (node:path and node:os only): `--help` must not load conf to name its file.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The stored configuration's file, as conf places it (projectName `upscale`, no suffix, env-paths'
 * config folder): UPSCALE_CONFIG_DIR, else XDG_CONFIG_HOME or ~/.config on Linux,
 * ~/Library/Preferences on macOS, %APPDATA%\upscale\Config on Windows. `upscale config path`
 * asks conf itself; test/e2e/help.test.ts checks that both agree.
 */
export function configFilePath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (env.UPSCALE_CONFIG_DIR) return resolve(env.UPSCALE_CONFIG_DIR, 'config.json');
  const folder =
    platform === 'darwin'
      ? join(home, 'Library', 'Preferences', 'upscale')
      : platform === 'win32'
        ? join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'upscale', 'Config')
        : join(env.XDG_CONFIG_HOME || join(home, '.config'), 'upscale');
  return join(folder, 'config.json');
}

/** The package's root: dist/cli/ (or src/cli/) is two levels below it. */
export function packageRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}

/** The docs shipped in the package: the README, and docs/cli.md for every flag and code. */
export function docsPaths(root = packageRoot()): { readme: string; cli: string } {
  return { readme: join(root, 'README.md'), cli: join(root, 'docs', 'cli.md') };
}

export function helpFooter(env: NodeJS.ProcessEnv = process.env): string {
  const docs = docsPaths();
  return `
Environment:
  FREEPIK_API_KEY, MAGNIFIC_API_KEY, COMFY_API_KEY, NOVITA_API_KEY
                          API keys (--api-key wins over them, they over the config file)
  UPSCALE_FREEPIK_BASE_URL, UPSCALE_MAGNIFIC_BASE_URL, UPSCALE_COMFY_BASE_URL,
  UPSCALE_NOVITA_BASE_URL API roots (--base-url wins over them)
  UPSCALE_RATE_LIMIT      requests per key, as --rate-limit
  UPSCALE_CONFIG_DIR      folder of the config file and of the pending tasks' index
  UPSCALE_DATA_DIR        folder of what the \`upscale local\` commands install
  UPSCALE_WEBHOOK_SECRET  the secret of \`upscale webhook verify\`
  NO_COLOR, FORCE_COLOR   colours off, on (CI=true: plain progress lines)

Config file: ${configFilePath(env)}
Docs: ${docs.readme}
      ${docs.cli} (every flag, the --json line, error and exit codes)
Shell completion: upscale completion bash|zsh|fish (how to install: upscale completion --help)`;
}
