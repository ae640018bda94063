/**
 * The output stores, by the spelling of the location they serve: the first whose `serves` says
 * yes is the store of a folder. A new store is one file implementing OutputStore and one line here,
 * above the local folder (which serves everything else).
 */
import { localFolder } from './local-folder.js';
import type { OutputStore } from './output-store.js';

const STORES: readonly { readonly serves: (location: string) => boolean; readonly store: OutputStore }[] = [
  { serves: () => true, store: localFolder },
];

/** The store that holds `location` (an output folder, or a file in one). */
export function storeFor(location: string): OutputStore {
  return (STORES.find((s) => s.serves(location)) ?? STORES[STORES.length - 1]!).store;
}
