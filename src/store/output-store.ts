/**
 * Where outputs, their recipes and the ledger live: the one interface through which the run
 * writes, links, lists, locks and reads them back. The local folder (local-folder.ts) is its only
 * implementation today; another place (an object store) implements the same methods in a file of
 * its own and is picked by `storeFor` (index.ts) from the location's spelling.
 *
 * Every method takes the full name of what it acts on (a path as the run builds it with
 * node:path). A failure keeps the OS's code on the error it throws (`ENOENT`, `ENOSPC`,
 * `EEXIST`, …): the ledger tells "not there" from "cannot be read" by it, and fs/fs-errors.ts
 * words it for people. A store that is not a file system throws errors with the same codes.
 *
 * The commit rules every store keeps (see rclone's fs/operations/copy.go: temp name, verify,
 * move): a result is produced under a temp name beside its output (`stageBeside`), verified
 * there, then `commit`ted to its name in one step that never clobbers a file without
 * `overwrite`; a commit that fails leaves the verified file where it was, for `keepAside`.
 */

/** What a store says of a name. `other`: something that is neither a file nor a folder. */
export type EntryKind = 'file' | 'folder' | 'other';

/** How often a holder renews its claim. */
export const HEARTBEAT_MS = 2_000;
/**
 * How long a reader watches a claim not change before taking it over: ten missed beats, so a
 * holder whose event loop or disk is slow for a while keeps its claim. Also the grace of a lock
 * left empty (its creator died between the create and the write).
 */
export const LEASE_MS = 20_000;

export interface ClaimOwner {
  readonly pid: number;
  /** The holder's identity tag (fs/owner.ts); earlier versions wrote a hash of the host name. */
  readonly host: string;
  readonly token: string;
  readonly since: number;
  /** The input being worked on, for messages. */
  readonly input: string;
}

export interface ClaimOptions {
  readonly input: string;
  readonly signal?: AbortSignal | undefined;
  /** Called once when another live run holds the claim and this one starts waiting. */
  readonly onWait?: ((holder: ClaimOwner | undefined) => void) | undefined;
  /** Give up (ClaimHeldError) as soon as the holder is seen alive, instead of waiting for it. */
  readonly failIfLive?: boolean | undefined;
  /** The reader's monotonic clock, in ms (tests). */
  readonly clock?: (() => number) | undefined;
  /** The wait between two looks at a held claim, in ms (tests); by default 250-750 ms, jittered. */
  readonly pollMs?: number | undefined;
}

/** Raised by `claim` with `failIfLive` once the holder is seen beating. */
export class ClaimHeldError extends Error {
  constructor(readonly holder: ClaimOwner | undefined) {
    super('the claim is held by a running upscale');
  }
}

/**
 * A claim on one output: a lease renewed every HEARTBEAT_MS while held, taken over by a reader
 * that saw it unchanged for LEASE_MS on its own clock (or whose holder is certainly gone).
 */
export interface Claim {
  readonly owner: ClaimOwner;
  /** Renews the claim while it is still this process's; false once it is not. */
  refresh(): Promise<boolean>;
  /** True when this process holds the claim and no reader can take it over for most of a lease: asked right before paying. */
  confirm(): Promise<boolean>;
  /** Synchronous: false once the claim is known lost, or its last renewal is half a lease old. */
  isFresh(): boolean;
  /** True while the claim there is this process's own. */
  stillHeld(): Promise<boolean>;
  /** Gives the claim up (removes it only while it is still this process's). */
  release(): Promise<void>;
}

/**
 * Claims found at start-up that nobody could show dead: watched from then on, and removed at the
 * end of the run when they did not change for a whole lease.
 */
export interface IdleClaimWatch {
  note(name: string): Promise<void>;
  sweep(): Promise<void>;
}

export interface OutputStore {
  /** Whole small files (ledger entries, recipes, indexes): the text, or undefined when there is none. */
  readText(name: string): Promise<string | undefined>;
  /** Replaces a small file so that a reader sees the old text or the new one, never half of it. */
  writeText(name: string, text: string): Promise<void>;
  /** Adds text at the end of a small file (created when missing). */
  appendText(name: string, text: string): Promise<void>;
  /** Removes a file; nothing there is no error. */
  remove(name: string): Promise<void>;
  /** The names in a folder (throws when it cannot be listed: ENOENT when there is none). */
  list(folder: string): Promise<string[]>;
  /** Makes a folder and its parents (`private`: only its owner may read it). */
  makeFolder(folder: string, options?: { readonly private?: boolean }): Promise<void>;
  /** Removes a folder when nothing is left in it (quietly leaves it otherwise). */
  removeFolderIfEmpty(folder: string): Promise<void>;
  /** What stands at a name, without following a link at the name itself; undefined when nothing. */
  kindOf(name: string): Promise<EntryKind | undefined>;
  /** What stands at a name, following links; undefined when nothing. */
  targetKindOf(name: string): Promise<EntryKind | undefined>;
  /** When a file was last written (ms since the epoch), undefined when there is none. */
  modifiedAt(name: string): Promise<number | undefined>;
  /** Dates a file as written at `when`. */
  touch(name: string, when: Date): Promise<void>;
  /** True when two names are one file (a commit that linked it and was killed before unlinking). */
  sameFile(a: string, b: string): Promise<boolean>;

  /** A hidden, unique temp name beside `name`, tagged with this process (`suffix`: `part`, `tmp`). */
  stageBeside(name: string, suffix: string): string;
  /**
   * Moves a verified temp file to its final name and returns the name used: without `overwrite`
   * never over an existing file (the next free name, `photo@4x-2.png`, instead). Throws
   * OUTPUT_UNWRITABLE leaving the temp file where it was.
   */
  commit(staged: string, name: string, overwrite: boolean): Promise<string>;
  /** Moves a temp file into `folder` as `name` (or `name-2`, …) and returns where. */
  keepAside(staged: string, folder: string, name: string): Promise<string>;
  /** Moves a temp file onto `name`, replacing what is there. */
  replace(staged: string, name: string): Promise<void>;
  /**
   * Throws the OS's error when `folder` cannot take outputs: made if missing, then a byte written
   * and removed. `reserved`: names inside it that must be folders when they exist.
   */
  probeWritable(folder: string, reserved?: readonly string[]): Promise<void>;

  /** Takes the claim named `name`, waiting while another live run holds it. */
  claim(name: string, options: ClaimOptions): Promise<Claim>;
  /** Removes the claim at `name` when its holder is certainly gone; true when none is left there. */
  clearDeadClaim(name: string): Promise<boolean>;
  /** A watch over claims nobody could show dead at start-up. */
  idleClaims(): IdleClaimWatch;
  /** Removes temp files in `folder` whose writer is gone (or that are long abandoned), but those named in `keep`. */
  removeDeadTemps(folder: string, keep: ReadonlySet<string>): Promise<void>;
}
