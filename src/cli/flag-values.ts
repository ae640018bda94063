/**
 * The CLI's one job with options: flags as commander gives them (text) → the library's typed
 * OptionValues. Which flags become which options is declared in flags.ts; each number is read
 * by its rule in NUMBER_OPTIONS, so a bad one names its flag.
 */
import { amountOf, type NumberOptionKey, numberFromFlag, type OptionValues } from '../options.js';
import { FLAGS, type FlagName, type FlagSpec, longOf } from './flags.js';

type Flags = typeof FLAGS;
/** The flags that become OptionValues. */
type OptionFlagName = { [K in FlagName]: Flags[K] extends { option: unknown } ? K : never }[FlagName];
/** A flag that takes a value gives its text; one that takes none gives `true`. */
type FlagValue<K extends FlagName> = Flags[K]['flags'] extends `${string}<${string}>` ? string : boolean;

/** The flags that become OptionValues, as commander gives them. */
export type OptionFlags = { readonly [K in OptionFlagName]?: FlagValue<K> };

// What flags.ts declares must fit OptionValues: a flag passed as it is has the option's name,
// and every number the library takes has a flag.
type AsIsName = { [K in OptionFlagName]: Flags[K]['option'] extends 'as-is' ? K : never }[OptionFlagName];
type NumberFlagKey = Extract<Flags[OptionFlagName]['option'], { number: unknown }>['number'];
const fits: [Exclude<AsIsName, keyof OptionValues>, Exclude<NumberOptionKey, NumberFlagKey>] extends [
  never,
  never,
]
  ? true
  : never = true;
void fits;

/**
 * Typed options from the flags. The provider's own flags (`--scale 4x`) are read by its specs once
 * the provider is known (session.ts, paramsFromFlags).
 */
export function optionValuesOf(flags: OptionFlags): OptionValues {
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(FLAGS) as FlagName[]) {
    const { option }: FlagSpec = FLAGS[name];
    const value = (flags as Readonly<Record<string, string | boolean | undefined>>)[name];
    if (option === undefined || value === undefined) continue;
    if (option === 'as-is') values[name] = value;
    else values[option.number] = numberFromFlag(option.number, String(value), longOf(name));
  }
  const maxCostCurrency = flags.maxCost === undefined ? undefined : amountOf(flags.maxCost).currency;
  return {
    ...(values as OptionValues),
    ...(maxCostCurrency ? { maxCostCurrency } : {}),
  };
}
