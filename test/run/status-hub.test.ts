/**
 * The status hub with a task list: one list answers every task waiting, what it showed is posted
 * for the other runs on the key, and their posts answer this run's tasks while its own next list
 * is not due. The provider API is a fake (the list and the status are scripted).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RequestBudget } from '../../src/http/budget.js';
import type { ListedTask, TaskState } from '../../src/providers/types.js';
import type { ListBoard } from '../../src/run/list-board.js';
import { type Connection, fetchTaskState, hasTaskList, listAllTasks } from '../../src/run/provider-api.js';
import { StatusHub } from '../../src/run/status-hub.js';

vi.mock('../../src/run/provider-api.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/run/provider-api.js')>()),
  hasTaskList: vi.fn(() => true),
  listAllTasks: vi.fn(),
  fetchTaskState: vi.fn(),
}));

const lists = vi.mocked(listAllTasks);
const statuses = vi.mocked(fetchTaskState);
vi.mocked(hasTaskList).mockReturnValue(true);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  lists.mockReset();
  statuses.mockReset();
});

/** Runs the clock in 50 ms steps until `promise` settles (at most a minute); gives it and the time taken. */
async function settle<T>(promise: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  let done = false;
  const watched = promise.finally(() => {
    done = true;
  });
  for (let i = 0; i < 1200 && !done; i++) await vi.advanceTimersByTimeAsync(50);
  return { value: await watched, ms: Date.now() - started };
}

/** A connection whose budget allows `limit` requests per 3 s: its list gap is 3 s / limit × 7. */
function connection(limit: number): Connection {
  const budget = new RequestBudget({ limit, windowMs: 3000 });
  // As if a first answer had come (it carried no rate headers): requests no longer go one by one.
  budget.observe({});
  return { budget } as unknown as Connection;
}

class FakeBoard implements ListBoard {
  readonly posts: (readonly ListedTask[])[] = [];
  readonly queued: (readonly ListedTask[])[] = [];
  async news(): Promise<readonly ListedTask[] | undefined> {
    return this.queued.shift();
  }
  async post(tasks: readonly ListedTask[]): Promise<void> {
    this.posts.push(tasks);
  }
  async close(): Promise<void> {}
}

const running: TaskState = { status: 'running' };
const done: TaskState = { status: 'succeeded', urls: ['https://cdn.example.test/a.png'] };

function ask(hub: StatusHub, taskId: string, seenDone?: () => void): Promise<TaskState> {
  return hub.fetch(
    taskId,
    () => 0.9,
    () => undefined,
    seenDone,
  );
}

describe('StatusHub with a list board', () => {
  it('posts what its list showed, and one list answers every task waiting', async () => {
    const board = new FakeBoard();
    const hub = new StatusHub(connection(60), { board });
    const listed: ListedTask[] = [
      { taskId: 'a', state: running },
      { taskId: 'b', state: running },
      { taskId: 'other-run', state: running },
    ];
    lists.mockResolvedValue(listed);
    const { value: answers } = await settle(Promise.all([ask(hub, 'a'), ask(hub, 'b')]));
    expect(answers).toEqual([running, running]);
    expect(lists).toHaveBeenCalledTimes(1);
    expect(board.posts).toEqual([listed]);
  });

  it("answers from another run's post while its own next list is not due: no list of its own is sent", async () => {
    const board = new FakeBoard();
    // 3 requests per 3 s: this run's next list is 7 s after its first.
    const hub = new StatusHub(connection(3), { board });
    lists.mockResolvedValue([
      { taskId: 'a', state: running },
      { taskId: 'b', state: running },
    ]);
    await settle(Promise.all([ask(hub, 'a'), ask(hub, 'b')]));
    expect(lists).toHaveBeenCalledTimes(1);
    // Another run's list shows `a` finished and `b` still running: `a` asks for its result alone.
    board.queued.push([
      { taskId: 'a', state: { status: 'succeeded', urls: [] } },
      { taskId: 'b', state: running },
    ]);
    statuses.mockResolvedValue(done);
    const seenDone = vi.fn();
    const { value: again, ms } = await settle(Promise.all([ask(hub, 'a', seenDone), ask(hub, 'b')]));
    expect(ms).toBeLessThan(5000); // not after this run's own list gap (7 s)
    expect(again).toEqual([done, running]);
    expect(seenDone).toHaveBeenCalledTimes(1);
    expect(statuses).toHaveBeenCalledTimes(1);
    expect(statuses.mock.calls[0]?.[1]).toBe('a');
    expect(lists).toHaveBeenCalledTimes(1);
  });

  it("still lists for its own task when another run's post does not show it", async () => {
    const board = new FakeBoard();
    const hub = new StatusHub(connection(60), { board });
    lists.mockResolvedValueOnce([
      { taskId: 'a', state: running },
      { taskId: 'b', state: running },
    ]);
    await settle(Promise.all([ask(hub, 'a'), ask(hub, 'b')]));
    board.queued.push([{ taskId: 'a', state: running }]);
    lists.mockResolvedValueOnce([
      { taskId: 'a', state: done },
      { taskId: 'b', state: done },
    ]);
    statuses.mockResolvedValue(done);
    const { value: again } = await settle(Promise.all([ask(hub, 'a'), ask(hub, 'b')]));
    // `a` was answered by the post (running), `b` by this run's own second list.
    expect(again).toEqual([running, done]);
    expect(lists).toHaveBeenCalledTimes(2);
  });
});
