/** `upscale webhook verify`: checks a Freepik/Magnific webhook signature (for CI setups that receive callbacks). */
import { readFile } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import { checkFreepikWebhook } from '../../api/webhooks.js';
import { usageError } from '../../errors.js';
import type { Terminal } from '../terminal.js';

export interface WebhookFlags {
  readonly secret?: string;
  readonly id?: string;
  readonly timestamp?: string;
  readonly signature?: string;
  readonly maxAge?: string;
  readonly json?: boolean;
}

function required(value: string | undefined, flag: string, hint: string): string {
  if (value === undefined || value.trim() === '') throw usageError(`webhook verify needs ${flag}`, hint);
  return value;
}

export async function webhookVerifyCommand(
  bodyFile: string | undefined,
  flags: WebhookFlags,
  term: Terminal,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const secret = required(
    flags.secret ?? env.UPSCALE_WEBHOOK_SECRET,
    '--secret (or UPSCALE_WEBHOOK_SECRET)',
    'the signing secret of your webhook endpoint',
  );
  const id = required(flags.id, '--id', 'the webhook-id header');
  const timestamp = required(flags.timestamp, '--timestamp', 'the webhook-timestamp header');
  const signature = required(flags.signature, '--signature', 'the webhook-signature header');
  let maxAgeSeconds: number | undefined;
  if (flags.maxAge !== undefined) {
    maxAgeSeconds = Number(flags.maxAge);
    if (!Number.isFinite(maxAgeSeconds) || maxAgeSeconds < 0)
      throw usageError(`--max-age "${flags.maxAge}" must be a number of seconds`, 'e.g. --max-age 300');
  }
  const body =
    bodyFile === undefined || bodyFile === '-'
      ? await buffer(process.stdin)
      : await readFile(bodyFile).catch((error: NodeJS.ErrnoException) => {
          throw usageError(
            `cannot read ${bodyFile} (${error.code ?? error.message})`,
            'pass the raw body file, or - for stdin',
          );
        });
  const check = checkFreepikWebhook({
    id,
    timestamp,
    signature,
    body,
    secret,
    ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}),
  });
  if (flags.json) term.stdout.write(`${JSON.stringify(check)}\n`);
  term.stderr.write(check.valid ? 'valid: the signature matches\n' : `invalid: ${check.reason}\n`);
  return check.valid ? 0 : 1;
}
