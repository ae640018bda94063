/** `upscale providers [ids...] [--json]`: what each provider is, takes and refuses — data, so on stdout. */

import type { LocalEngineStatus } from '../../api/local-status.js';
import {
  type AuthStyle,
  flagOf,
  getProvider,
  type HttpProvider,
  hasHttpApi,
  isProviderId,
  keyConfigKeys,
  type ParamValue,
  PROVIDER_IDS,
  type Provider,
  providers,
} from '../../api/providers.js';
import { withoutCredentials } from '../../api/redact.js';
import { usageError } from '../../errors.js';
import { openConfig } from '../config-store.js';
import type { Terminal } from '../terminal.js';
import { fitToWidth } from '../wrap.js';

export interface FlagInfo {
  readonly flag: string;
  readonly values: string;
  /** The provider's own default, applied when the flag is not given. */
  readonly default: ParamValue | null;
  /** The default is sent when the flag is not given (else nothing is sent). */
  readonly alwaysSent: boolean;
  readonly description: string;
}

/** One provider as `upscale providers --json` prints it. */
export interface ProviderInfo {
  readonly id: string;
  readonly title: string;
  readonly sameApiAs: string | null;
  readonly submit: string;
  readonly status: string;
  /**
   * Null for the local provider: it has no API host, key or header. `inUse` is the root a run
   * here would use (without credentials), and `from` where it comes from.
   */
  readonly baseUrl: {
    readonly default: string;
    readonly env: string;
    readonly config: string;
    readonly inUse: string;
    readonly from: BaseUrlSource;
  } | null;
  readonly key: { readonly env: readonly string[]; readonly config: readonly string[] };
  /** `--key-header` values; the first is the default. */
  readonly keyHeaders: readonly AuthStyle[];
  readonly inputs: { readonly file: boolean; readonly url: boolean };
  readonly limits: {
    readonly scales: readonly number[];
    readonly maxOutputPixels: number | null;
    readonly maxOutputSide: number | null;
    readonly minInputSide: number | null;
    readonly maxAspectRatio: number | null;
  };
  readonly flags: readonly FlagInfo[];
  readonly refuses: readonly { readonly flag: string; readonly why: string; readonly hint: string }[];
}

export type BaseUrlSource = 'default' | 'environment' | 'config';

/** Where a run here would send `p`'s requests: the environment, else the config, else the default. */
export interface RootLookup {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly config: (key: string) => unknown;
}

function rootInUse(p: HttpProvider, lookup: RootLookup | undefined): { inUse: string; from: BaseUrlSource } {
  const fromEnv = lookup?.env[p.api.baseUrlEnv];
  if (fromEnv) return { inUse: withoutCredentials(fromEnv), from: 'environment' };
  const fromConfig = lookup?.config(`${p.api.configSection}.baseUrl`);
  if (typeof fromConfig === 'string' && fromConfig !== '')
    return { inUse: withoutCredentials(fromConfig), from: 'config' };
  return { inUse: p.api.defaultBaseUrl, from: 'default' };
}

export function providerInfo(p: Provider, lookup?: RootLookup): ProviderInfo {
  const { limits } = p;
  const where = !hasHttpApi(p)
    ? {
        sameApiAs: null,
        submit: 'runs on this machine (onnxruntime)',
        status: 'progress by tiles',
        baseUrl: null,
        key: { env: [], config: [] },
        keyHeaders: [],
      }
    : {
        sameApiAs: p.sameApiAs ?? null,
        submit: p.api.endpoint,
        status: p.api.statusEndpoint,
        baseUrl: {
          default: p.api.defaultBaseUrl,
          env: p.api.baseUrlEnv,
          config: `${p.api.configSection}.baseUrl`,
          ...rootInUse(p, lookup),
        },
        key: { env: p.api.keyEnvs, config: keyConfigKeys(p) },
        keyHeaders: p.api.authStyles,
      };
  return {
    id: p.id,
    title: p.title,
    ...where,
    inputs: limits.inputs,
    limits: {
      scales: limits.scales,
      maxOutputPixels: limits.maxOutputPixels ?? null,
      maxOutputSide: limits.maxOutputSide ?? null,
      minInputSide: limits.minInputSide ?? null,
      maxAspectRatio: limits.maxAspectRatio ?? null,
    },
    flags: p.params.map((s) => ({
      flag: s.flag,
      values: s.valid,
      default: s.providerDefault ?? null,
      alwaysSent: s.alwaysSent ?? false,
      description: s.description,
    })),
    refuses: Object.entries(p.refuses ?? {}).map(([key, r]) => ({
      flag: flagOf(key),
      ...r,
    })),
  };
}

const HEADER_TEXT: Readonly<Record<AuthStyle, string>> = {
  'x-freepik-api-key': 'x-freepik-api-key: <key>',
  'x-magnific-api-key': 'x-magnific-api-key: <key>',
  bearer: 'Authorization: Bearer <key>',
  'x-api-key': 'X-API-KEY: <key>',
};

function inputsText(inputs: ProviderInfo['inputs'], local: boolean): string {
  if (local) return 'local files, read on this machine; no URLs';
  if (inputs.file && inputs.url)
    return 'local files (sent as base64) and http(s) URLs (fetched by the provider)';
  if (inputs.file) return 'local files (sent as base64); no URLs';
  return 'http(s) URLs only (fetched by the provider); local files are refused';
}

function limitsText(info: ProviderInfo): string {
  const { scales, maxOutputPixels, maxOutputSide, minInputSide, maxAspectRatio } = info.limits;
  const parts = [scales.length > 0 ? `scales ${scales.map((s) => `${s}x`).join(' ')}` : 'no scale factor'];
  if (maxOutputPixels !== null) parts.push(`output ≤ ${(maxOutputPixels / 1e6).toFixed(1)} MP`);
  if (maxOutputSide !== null) parts.push(`output ≤ ${maxOutputSide} px per side`);
  if (minInputSide !== null) parts.push(`input ≥ ${minInputSide} px per side (--fit upsizes)`);
  if (maxAspectRatio !== null) parts.push(`aspect within 1:${maxAspectRatio}–${maxAspectRatio}:1`);
  return parts.join('; ');
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text + ' '.repeat(width - text.length);
}

/** How the key travels; Comfy picks by the key's shape (see options.ts: resolveAuthStyle). */
function headerText(
  all: readonly AuthStyle[],
  first: AuthStyle | undefined,
  others: readonly AuthStyle[],
): string {
  if (all.includes('bearer') && all.includes('x-api-key'))
    return "X-API-KEY: <key> for an API key, Authorization: Bearer <token> for a JWT (by the key's shape; --key-header forces one)";
  return `${first ? HEADER_TEXT[first] : '?'}${others.length > 0 ? ` (or --key-header ${others.join(', ')})` : ''}`;
}

/** The human table: one block per provider. */
export function formatProvider(info: ProviderInfo): string {
  const [defaultHeader, ...otherHeaders] = info.keyHeaders;
  const { baseUrl } = info;
  const root = (path: string) => (baseUrl ? path.replace(' ', ` ${baseUrl.inUse}`) : path);
  const source =
    baseUrl?.from === 'environment'
      ? ` (from ${baseUrl.env})`
      : baseUrl?.from === 'config'
        ? ` (from config ${baseUrl.config})`
        : '';
  const lines = [
    `${info.id}  ${info.title}${info.sameApiAs ? ` (same flags as ${info.sameApiAs})` : ''}`,
    `  submit   ${root(info.submit)}`,
    `  status   ${root(info.status)}`,
    ...(baseUrl
      ? [
          `  root     ${baseUrl.inUse}${source}; set by --base-url, ${baseUrl.env} or config ${baseUrl.config}`,
          `  key      --api-key, ${info.key.env.join(', ')} or config ${info.key.config.join(', ')}`,
          `  header   ${headerText(info.keyHeaders, defaultHeader, otherHeaders)}`,
        ]
      : ['  key      none: nothing leaves this machine']),
    `  inputs   ${inputsText(info.inputs, !baseUrl)}`,
    `  limits   ${limitsText(info)}`,
  ];
  const flagWidth = Math.max(...info.flags.map((f) => f.flag.length)) + 2;
  info.flags.forEach((f, i) => {
    const shownDefault =
      f.default === null ? '' : ` (default ${f.default}${f.alwaysSent ? ', sent when unset' : ''})`;
    lines.push(
      `${i === 0 ? '  flags    ' : '           '}${pad(f.flag, flagWidth)}${f.description}: ${f.values}${shownDefault}`,
    );
  });
  for (const r of info.refuses) lines.push(`  refuses  ${r.flag}: ${r.why} (${r.hint})`);
  return lines.join('\n');
}

/** `upscale providers local`: the runtime and models -p local uses now, and how fast. */
/** Which models onnxruntime-node would make much faster, and how much (from the measured times). */
function muchFaster(e: LocalEngineStatus): string {
  const faster = e.models.filter((m) => m.withAddedRuntimeSeconds !== null);
  if (faster.length === 0) return '';
  const ratios = faster.map((m) => m.expectedSeconds / m.withAddedRuntimeSeconds!);
  const low = Math.min(...ratios).toFixed(1);
  const high = Math.max(...ratios).toFixed(1);
  return `: runs ${low === high ? low : `${low}-${high}`}x faster for ${faster.map((m) => m.model).join(', ')}`;
}

export function formatLocalEngine(e: LocalEngineStatus): string {
  const lines: string[] = [];
  for (const r of e.runtimes) {
    const state = r.present
      ? `${r.name === e.active ? 'active' : 'present'}, ${r.version ?? '?'}${r.origin === 'added' ? ` (added, ${r.where})` : ' (in the package)'}`
      : r.name === 'onnxruntime-node'
        ? `not added: \`upscale local add-runtime\` (~50 MB)${muchFaster(e)}`
        : 'missing';
    lines.push(`${lines.length === 0 ? '  runtime  ' : '           '}${r.name}: ${state}`);
  }
  lines.push(`           ${e.threads} thread${e.threads === 1 ? '' : 's'} (one per core)`);
  for (const [i, m] of e.models.entries()) {
    const where = m.origin === 'package' ? 'in the package' : m.origin === 'added' ? 'added' : null;
    const state = where
      ? `${where}, ${m.sizeMB} MB ${m.weights ?? ''}; 512² → 2048² in ~${m.expectedSeconds} s${m.withAddedRuntimeSeconds === null ? '' : ` (~${m.withAddedRuntimeSeconds} s after \`upscale local add-runtime\`)`}`
      : `not added: \`upscale local add-model ${m.model}\` (${m.sizeMB} MB)`;
    lines.push(
      `${i === 0 ? '  models   ' : '           '}${m.model}${m.default ? ' (default)' : ''}: ${state}`,
    );
  }
  return lines.join('\n');
}

export async function providersCommand(ids: string[], json: boolean, term: Terminal): Promise<number> {
  for (const id of ids) {
    if (!isProviderId(id))
      throw usageError(`providers: unknown provider "${id}"`, `use one of ${PROVIDER_IDS.join(', ')}`);
  }
  const chosen = ids.length > 0 ? PROVIDER_IDS.filter((id) => ids.includes(id)) : PROVIDER_IDS;
  // The roots a run here would use: the environment's, the stored config's (conf loads only then).
  const remote = chosen.some((id) => getProvider(id).api !== undefined);
  const config = remote ? await openConfig() : undefined;
  const lookup: RootLookup = { env: process.env, config: (key) => config?.get(key) };
  const infos = chosen.map((id) => providerInfo(providers[id], lookup));
  // The local engine's installed pieces (files only: nothing heavy loads).
  const engine = chosen.some((id) => getProvider(id).engine !== undefined)
    ? (await import('../../api/local-status.js')).describeLocalEngine()
    : undefined;
  const withEngine = (info: ProviderInfo) =>
    engine && isProviderId(info.id) && getProvider(info.id).engine ? { ...info, engine } : info;
  if (json) term.stdout.write(`${JSON.stringify(infos.map(withEngine), null, 2)}\n`);
  else {
    const text = infos
      .map((info) => {
        const block = formatProvider(info);
        return engine && 'engine' in withEngine(info) ? `${block}\n${formatLocalEngine(engine)}` : block;
      })
      .join('\n\n');
    // On a terminal, long lines wrap at spaces under their value, not mid-word at the last column.
    term.stdout.write(`${fitToWidth(text, term.stdout.isTTY ? term.stdout.columns : undefined)}\n`);
  }
  return 0;
}
