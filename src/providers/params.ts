/** Builders for ParamSpec: integer ranges, enums with aliases, and scale factors. */
import { ParamError, type ParamSpec, type ParamValue } from './types.js';

interface SpecBase {
  key: string;
  flag: string;
  description: string;
  providerDefault?: ParamValue;
  alwaysSent?: boolean;
}

/**
 * A spec from its base, the text of its valid values, its parser, and the check of a number given
 * typed (`number`: what a number must be; none for a spec whose values are text).
 */
function spec(
  base: SpecBase,
  valid: string,
  parse: (raw: string) => ParamValue,
  number?: { readonly accepts: (value: number) => boolean; readonly mustBe: string },
): ParamSpec {
  return {
    key: base.key,
    flag: base.flag,
    description: base.description,
    valid,
    ...(base.providerDefault === undefined ? {} : { providerDefault: base.providerDefault }),
    ...(base.alwaysSent ? { alwaysSent: true } : {}),
    parse,
    check: (value) => {
      if (typeof value === 'string') return parse(value);
      if (!number) throw new ParamError('must be text, not a number');
      if (!number.accepts(value)) throw new ParamError(number.mustBe);
      return value;
    },
  };
}

/** An integer in [min, max]; `2.5`, `abc` and `1e3` are refused. */
export function intParam(base: SpecBase, min: number, max: number): ParamSpec {
  return spec(
    base,
    `${min}..${max}`,
    (raw) => {
      const text = raw.trim();
      if (!/^[-+]?\d+$/.test(text)) throw new ParamError(`must be a whole number from ${min} to ${max}`);
      const value = Number(text);
      if (value < min || value > max) throw new ParamError(`must be from ${min} to ${max}`);
      return value;
    },
    {
      accepts: (value) => Number.isInteger(value) && value >= min && value <= max,
      mustBe: `must be a whole number from ${min} to ${max}`,
    },
  );
}

/** One of a fixed set; `aliases` maps extra spellings (case-insensitive) to canonical values. */
export function enumParam(
  base: SpecBase,
  values: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
  shown: readonly string[] = values,
): ParamSpec {
  return spec(base, shown.join('|'), (raw) => {
    const text = raw.trim().toLowerCase();
    const value = aliases[text] ?? values.find((v) => v.toLowerCase() === text);
    if (value === undefined) throw new ParamError(`must be one of ${shown.join(', ')}`);
    return value;
  });
}

/** Free text (a prompt); empty text is refused because the provider would reject it. */
export function textParam(base: SpecBase): ParamSpec {
  return spec(base, 'text', (raw) => {
    if (raw.trim() === '') throw new ParamError('must not be empty');
    return raw;
  });
}

/** An absolute https URL (webhooks). */
export function httpsUrlParam(base: SpecBase): ParamSpec {
  return spec(base, 'https URL', (raw) => {
    let url: URL;
    try {
      url = new URL(raw.trim());
    } catch {
      throw new ParamError('must be an absolute https:// URL');
    }
    if (url.protocol !== 'https:') throw new ParamError('must be an https:// URL');
    return url.href;
  });
}

/** Reads `4`, `4x` or `4X` as 4; NaN for anything else. */
function scaleNumber(raw: string): number {
  const match = /^\s*(\d+)\s*x?\s*$/i.exec(raw);
  return match ? Number(match[1]) : Number.NaN;
}

/**
 * A scale factor written `4x` or `4`, limited to `allowed`; returns the number.
 * Providers format it for their body (`"4x"` or `4`).
 */
export function scaleParam(base: SpecBase, allowed: readonly number[], shown: string): ParamSpec {
  return spec(
    base,
    shown,
    (raw) => {
      const value = scaleNumber(raw);
      if (!allowed.includes(value)) throw new ParamError(`must be one of ${shown}`);
      return value;
    },
    { accepts: (value) => allowed.includes(value), mustBe: `must be one of ${shown}` },
  );
}

/** A whole scale factor in [min, max], written `4` or `4x`. */
export function scaleRangeParam(base: SpecBase, min: number, max: number): ParamSpec {
  return spec(
    base,
    `${min}..${max}`,
    (raw) => {
      const value = scaleNumber(raw);
      if (!(value >= min && value <= max))
        throw new ParamError(`must be a whole factor from ${min} to ${max} (e.g. 4 or 4x)`);
      return value;
    },
    {
      accepts: (value) => Number.isInteger(value) && value >= min && value <= max,
      mustBe: `must be a whole factor from ${min} to ${max} (e.g. 4 or 4x)`,
    },
  );
}

/** `--webhook-url`: every provider that can call back takes it under the same key. */
export const webhookParam: ParamSpec = httpsUrlParam({
  key: 'webhookUrl',
  flag: '--webhook-url <url>',
  description: 'URL notified on every status change',
});
