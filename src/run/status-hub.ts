/**
 * Where the tasks of a run ask for their state. Requests are the scarce resource, so asks made
 * about the same time share one: the hub takes a budget slot first (at the priority of the most
 * valuable ask), and only when it has one decides what to spend it on — one list request (Freepik,
 * Magnific) for every task waiting by then, or a status request when one task waits alone. A task
 * the list shows finished costs one request of its own (its result URLs are only in its status).
 * While the budget is busy, lists are spaced out so most of it goes to submits and results.
 * Runs that share the key and the output folder share their lists' answers (see ListBoard):
 * while this one waits for its next list, another's answer may tell its tasks' states.
 */
import { delay } from '../http/delay.js';
import type { ListedTask, TaskState } from '../providers/types.js';
import type { ListBoard } from './list-board.js';
import { MIN_POLL_GAP_MS } from './poll.js';
import {
  type Connection,
  fetchTaskState,
  hasTaskList,
  listAllTasks,
  type RequestCharge,
} from './provider-api.js';

/**
 * Priorities against the budget. A due list comes first: it tells which tasks are finished,
 * and a finished task gives its place to the next input at once (see Place). That input's
 * submit comes next: a task that is not yet sent delays everything after it, while a finished
 * task's result can be fetched a moment later. Then polls, by how likely their task is done.
 */
export const PRIORITY = { list: 3.5, result: 2.4, submit: 2.5, likelyDone: 2, premature: 0.5 } as const;

/** A list costs at most one budget slot in this many (while two or more tasks wait on lists). */
const LIST_SHARE = 7;
/** Lists never come closer together than this (as polls of one task: see MIN_POLL_GAP_MS). */
const MIN_LIST_GAP_MS = MIN_POLL_GAP_MS;
/** Pages of the list read for one batch poll; tasks not found there are asked one by one. */
const LIST_PAGES = 3;
/** How often the board is read while the next list is not yet due. */
const BOARD_LOOK_MS = 200;

interface Ask {
  readonly taskId: string;
  /** How likely the task is done by now (undefined: unknown). */
  readonly likelyDone: () => number | undefined;
  /** Told of each request sent for it: 1 for its own, 1/n for a list shared by n tasks. */
  readonly onSent: (share: number) => void;
  /** Told when a list shows the task finished, before its result is fetched. */
  readonly onSeenDone?: (() => void) | undefined;
  resolve(state: TaskState): void;
  reject(error: unknown): void;
}

export interface HubOptions {
  readonly signal?: AbortSignal | undefined;
  /** Where runs on the same key and output folder share their lists' answers. */
  readonly board?: ListBoard | undefined;
}

function priorityOf(p: number | undefined): number {
  if (p === undefined) return PRIORITY.submit;
  return p >= 0.5 ? PRIORITY.likelyDone : PRIORITY.premature;
}

export class StatusHub {
  private batch: Ask[] = [];
  private running = false;
  private lastListAt = 0;
  /** When another run's list last answered every task waiting here (0: never). */
  private lastNewsAt = 0;
  /** A random part of the key's list gap added after news: the runs of a fleet do not all list at once. */
  private jitter = Math.random();
  /** One list request answers every task waiting on it: asking often costs nothing more. */
  readonly listing: boolean;

  constructor(
    private readonly conn: Connection,
    private readonly options: HubOptions = {},
  ) {
    this.listing = hasTaskList(conn);
  }

  /** The task's state now; `onSent` is told of each request made for it (a list counts a share). */
  fetch(
    taskId: string,
    likelyDone: () => number | undefined,
    onSent: (share: number) => void,
    onSeenDone?: () => void,
  ): Promise<TaskState> {
    this.waiting.add(taskId);
    const answer = new Promise<TaskState>((resolve, reject) => {
      this.batch.push({ taskId, likelyDone, onSent, onSeenDone, resolve, reject });
      if (!this.running) void this.run();
    });
    // A task is waited on until it is final (or its asks fail).
    return answer.then(
      (state) => {
        if (state.status === 'succeeded' || state.status === 'failed') this.waiting.delete(taskId);
        return state;
      },
      (error: unknown) => {
        this.waiting.delete(taskId);
        throw error;
      },
    );
  }

  private single(ask: Ask, charge: Omit<RequestCharge, 'onSent'>): void {
    fetchTaskState(this.conn, ask.taskId, this.options.signal, {
      ...charge,
      onSent: () => ask.onSent(1),
    }).then(ask.resolve, ask.reject);
  }

  /** One slot at a time: taken at the best ask's priority, then spent on what waits by then. */
  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.batch.length > 0) {
        try {
          if (this.batchPolling()) await this.spaceOut();
          // Another run's list answered every ask: nothing left to spend a slot on.
          if (this.batch.length === 0) continue;
          // A due list is worth a likely-done poll (below submits: a task in flight costs
          // nothing, one waiting to be sent delays the batch); a lone ask, its task's odds.
          await this.conn.budget?.acquire(
            () =>
              this.batchPolling()
                ? PRIORITY.list
                : Math.max(...this.batch.map((a) => priorityOf(a.likelyDone()))),
            this.options.signal,
          );
        } catch (error) {
          for (const ask of this.batch.splice(0)) ask.reject(error);
          return;
        }
        const asks = this.batch.splice(0);
        const prepaid = this.conn.budget !== undefined;
        if (!this.listing || (asks.length === 1 && !this.batchPolling())) {
          // Several asks without a list: the first uses the slot, the rest queue on their own.
          const [first, ...rest] = asks;
          this.single(first!, { prepaid });
          for (const ask of rest) this.single(ask, { priority: () => priorityOf(ask.likelyDone()) });
          continue;
        }
        await this.list(asks, prepaid);
      }
    } finally {
      this.running = false;
    }
  }

  private async list(asks: readonly Ask[], prepaid: boolean): Promise<void> {
    this.lastListAt = Date.now();
    this.jitter = Math.random();
    let listed: ListedTask[] | undefined;
    try {
      listed = await listAllTasks(
        this.conn,
        this.options.signal,
        {
          prepaid,
          priority: () => PRIORITY.list,
          onSent: () => {
            for (const ask of asks) ask.onSent(1 / asks.length);
          },
        },
        LIST_PAGES,
      );
    } catch {
      listed = undefined; // unreadable: each task is asked on its own
    }
    if (listed) await this.options.board?.post(listed);
    for (const ask of this.answer(asks, listed ?? []))
      this.single(ask, { priority: () => priorityOf(ask.likelyDone()) });
  }

  /** Answers the asks a list (this run's or another's) shows; returns those it does not show. */
  private answer(asks: readonly Ask[], listed: readonly ListedTask[]): Ask[] {
    const byId = new Map(listed.map((t) => [t.taskId, t.state]));
    const missing: Ask[] = [];
    for (const ask of asks) {
      const state = byId.get(ask.taskId);
      if (!state) missing.push(ask);
      else if (state.status !== 'succeeded') ask.resolve(state);
      else {
        // Its place goes to the next input now; its result URLs cost a request of their own.
        ask.onSeenDone?.();
        this.single(ask, { priority: () => PRIORITY.result });
      }
    }
    return missing;
  }

  /** Another run's list answer, when one came: the asks it shows are answered, the rest wait on. */
  private async readBoard(): Promise<void> {
    const news = await this.options.board?.news();
    if (!news || this.batch.length === 0) return;
    const missing = this.answer(this.batch.splice(0), news);
    this.batch.push(...missing);
    if (missing.length === 0) {
      this.lastNewsAt = Date.now();
      this.jitter = Math.random();
    }
  }

  /** Tasks that asked and are not finished: the ones a list would answer. */
  private readonly waiting = new Set<string>();

  /**
   * True while two or more tasks wait: one list then answers them all, so tasks ask again at
   * once after each answer (see `askAgainAfterMs`) and the hub alone sets the pace.
   */
  batchPolling(): boolean {
    return this.listing && this.waiting.size >= 2;
  }

  /** How soon a task asks again after an answer: at once while lists poll for it, else its own beat. */
  askAgainAfterMs(): number | undefined {
    return this.batchPolling() ? 0 : undefined;
  }

  /**
   * Lists keep to their share of the budget: one slot in LIST_SHARE at most. After another run's
   * list answered every task here, this run's waits a window of the key more (at least the list
   * gap of the whole key), plus a random part of it: the runs of a fleet take turns, and list
   * about as often as one process would (one that spends its window at once lists about once a
   * window).
   */
  private async spaceOut(): Promise<void> {
    for (;;) {
      const wait = this.listDueAt() - Date.now();
      if (wait <= 0 || this.batch.length === 0) return;
      // Ctrl-C ends this wait too: a list gap is seconds when requests are scarce.
      await delay(this.options.board ? Math.min(wait, BOARD_LOOK_MS) : wait, this.options.signal);
      await this.readBoard();
    }
  }

  private listDueAt(): number {
    const budget = this.conn.budget;
    if (!budget) return this.lastListAt + MIN_LIST_GAP_MS;
    const gap = (rate: { windowMs: number; limit: number }) =>
      Math.max(MIN_LIST_GAP_MS, (rate.windowMs / rate.limit) * LIST_SHARE);
    return Math.max(
      this.lastListAt + gap(budget.pace),
      this.lastNewsAt + Math.max(gap(budget.limit), budget.limit.windowMs) * (1 + this.jitter),
    );
  }
}
