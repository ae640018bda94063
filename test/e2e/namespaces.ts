/**
 * Starting the CLI the way containers on one host do: in a pid namespace of its own, where the
 * pids of every other run mean nothing. Needs `unshare` (util-linux) and the right to use it (root,
 * or user namespaces); where it cannot, tests skip with the reason printed.
 */
import { spawnSync } from 'node:child_process';
import { BIN, type CliRun, scrubbedEnv, spawnCollect } from './cli-harness.js';

/** How this machine starts a process in a pid namespace of its own, or why it cannot. */
export function pidNamespace(): { prefix: readonly string[] } | { reason: string } {
  const tries = [
    ['unshare', '--pid', '--fork', '--mount-proc'],
    ['unshare', '--user', '--map-root-user', '--pid', '--fork', '--mount-proc'],
  ];
  let reason = 'no `unshare` command';
  for (const prefix of tries) {
    const probe = spawnSync(prefix[0]!, [...prefix.slice(1), 'sh', '-c', 'readlink /proc/self/ns/pid'], {
      encoding: 'utf8',
    });
    if (probe.error) continue;
    if (probe.status === 0 && /^pid:\[\d+\]/.test(probe.stdout)) return { prefix };
    reason = `\`${prefix.join(' ')}\` failed: ${(probe.stderr || `exit ${probe.status}`).trim()}`;
  }
  return { reason };
}

/** The CLI as runCli starts it (clean environment, CI=true), behind `prefix` (a command that runs another). */
export function runCliBehind(
  prefix: readonly string[],
  args: readonly string[],
  options: { cwd: string; env: Record<string, string | undefined> },
): Promise<CliRun> {
  const env = scrubbedEnv();
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined) env[k] = v;
  env.CI = 'true';
  return spawnCollect(prefix[0]!, [...prefix.slice(1), process.execPath, BIN, ...args], {
    cwd: options.cwd,
    env,
  });
}
