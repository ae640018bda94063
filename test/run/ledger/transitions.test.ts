/** The ledger's state machine: every event in every state, legal or refused. */
import { describe, expect, it } from 'vitest';
import {
  LEDGER_VERSION,
  type LedgerEntry,
  type LedgerState,
  parseEntry,
} from '../../../src/run/ledger/entry.js';
import {
  advance,
  entryAt,
  hasResults,
  isCommitting,
  isRefusal,
  LEDGER_STATES,
  LEGAL_FROM,
  type LedgerEvent,
  type LedgerEventType,
  type LedgerStateName,
  next,
  Refusal,
  STOPPED_MID_SUBMIT,
} from '../../../src/run/ledger/transitions.js';

const urls = ['https://cdn/1.png', 'https://cdn/2.png'];

/** One entry state of each name (and `none`: no entry), as a run would have written them. */
const FROM: Record<LedgerStateName | 'none', LedgerState | undefined> = {
  none: undefined,
  submitting: { state: 'submitting', startedAt: 100, newestListed: 'old-task' },
  uncertain: { state: 'uncertain', startedAt: 100, reason: 'HTTP 502', candidates: ['t-9'] },
  submitted: { state: 'submitted', taskId: 't-1', submittedAt: 200 },
  completed: { state: 'completed', taskId: 't-1', submittedAt: 200, urls, written: 1 },
  committing: {
    state: 'committing',
    taskId: 't-1',
    submittedAt: 200,
    urls,
    temp: '/out/.a.part',
    outputPath: '/out/a.png',
  },
};

/** One event of each type. */
const EVENTS: Record<LedgerEventType, LedgerEvent> = {
  submit: { type: 'submit', startedAt: 300, newestListed: null },
  answered: { type: 'answered', taskId: 't-2', submittedAt: 400 },
  answerLost: { type: 'answerLost', reason: 'the answer broke off' },
  refused: { type: 'refused' },
  found: { type: 'found', taskId: 't-3' },
  undecided: { type: 'undecided', candidates: ['t-4', 't-5'] },
  resend: { type: 'resend' },
  known: { type: 'known', taskId: 't-6', submittedAt: 500 },
  finished: { type: 'finished', urls: ['https://cdn/9.png'] },
  taskFailed: { type: 'taskFailed' },
  urlsExpired: { type: 'urlsExpired' },
  commit: { type: 'commit', temp: '/out/.b.part', outputPath: '/out/b.png' },
  committed: { type: 'committed' },
};

/** Every legal transition and the state it gives (undefined: the entry goes); all others are refused. */
const LEGAL: [LedgerStateName | 'none', LedgerEventType, LedgerState | undefined][] = [
  ['none', 'submit', { state: 'submitting', startedAt: 300, newestListed: null }],
  ['none', 'known', { state: 'submitted', taskId: 't-6', submittedAt: 500 }],
  ['submitting', 'answered', { state: 'submitted', taskId: 't-2', submittedAt: 400 }],
  [
    'submitting',
    'answerLost',
    { state: 'uncertain', startedAt: 100, newestListed: 'old-task', reason: 'the answer broke off' },
  ],
  ['submitting', 'refused', undefined],
  ['submitting', 'found', { state: 'submitted', taskId: 't-3', submittedAt: 100 }],
  [
    'submitting',
    'undecided',
    {
      state: 'uncertain',
      startedAt: 100,
      newestListed: 'old-task',
      reason: STOPPED_MID_SUBMIT,
      candidates: ['t-4', 't-5'],
    },
  ],
  ['submitting', 'resend', undefined],
  ['uncertain', 'found', { state: 'submitted', taskId: 't-3', submittedAt: 100 }],
  [
    'uncertain',
    'undecided',
    { state: 'uncertain', startedAt: 100, reason: 'HTTP 502', candidates: ['t-4', 't-5'] },
  ],
  ['uncertain', 'resend', undefined],
  [
    'submitted',
    'finished',
    { state: 'completed', taskId: 't-1', submittedAt: 200, urls: ['https://cdn/9.png'] },
  ],
  ['submitted', 'taskFailed', undefined],
  ['completed', 'urlsExpired', { state: 'submitted', taskId: 't-1', submittedAt: 200 }],
  [
    'completed',
    'commit',
    {
      state: 'committing',
      taskId: 't-1',
      submittedAt: 200,
      urls,
      written: 1,
      temp: '/out/.b.part',
      outputPath: '/out/b.png',
    },
  ],
  ['committing', 'urlsExpired', { state: 'submitted', taskId: 't-1', submittedAt: 200 }],
  [
    'committing',
    'commit',
    {
      state: 'committing',
      taskId: 't-1',
      submittedAt: 200,
      urls,
      temp: '/out/.b.part',
      outputPath: '/out/b.png',
    },
  ],
  ['committing', 'committed', { state: 'completed', taskId: 't-1', submittedAt: 200, urls, written: 1 }],
];

const NAMES = ['none', ...LEDGER_STATES] as const;
const ALL = NAMES.flatMap((from) =>
  (Object.keys(EVENTS) as LedgerEventType[]).map((event) => [from, event] as const),
);
const legal = new Map(LEGAL.map(([from, event, to]) => [`${from} ${event}`, to]));

describe('next(state, event)', () => {
  it('covers every state name and event type', () => {
    expect(NAMES).toEqual(['none', 'submitting', 'uncertain', 'submitted', 'completed', 'committing']);
    expect(Object.keys(LEGAL_FROM).sort()).toEqual(Object.keys(EVENTS).sort());
    expect(ALL).toHaveLength(6 * 13);
    expect(LEGAL).toHaveLength(18);
  });

  it.each(LEGAL)('%s --%s--> the next state', (from, event, to) => {
    expect(next(FROM[from], EVENTS[event])).toStrictEqual(to);
  });

  it.each(ALL.filter(([from, event]) => !legal.has(`${from} ${event}`)))(
    '%s --%s--> refused',
    (from, event) => {
      const after = next(FROM[from], EVENTS[event]);
      expect(after).toBeInstanceOf(Refusal);
      expect(isRefusal(after)).toBe(true);
      expect(after).toMatchObject({ from, event });
      expect((after as Refusal).message).toContain(`'${event}' in state '${from}'`);
    },
  );

  it('LEGAL_FROM says exactly the legal transitions of the table', () => {
    for (const [from, event] of ALL)
      expect(LEGAL_FROM[event].includes(from)).toBe(legal.has(`${from} ${event}`));
  });

  it('never pays twice: a submit is refused wherever a task may exist or is known', () => {
    for (const from of LEDGER_STATES) expect(isRefusal(next(FROM[from], EVENTS.submit))).toBe(true);
  });

  it('committing the last result of a task removes the entry; an earlier one counts it', () => {
    const last = { ...FROM.committing, written: 1 } as LedgerState;
    expect(next(last, { type: 'committed' })).toBeUndefined();
    const one = { ...FROM.committing, urls: ['https://cdn/1.png'] } as LedgerState;
    expect(next(one, { type: 'committed' })).toBeUndefined();
  });

  it('a finished task whose first results were written before keeps the count; 0 is not written', () => {
    expect(next(FROM.submitted, { type: 'finished', urls, written: 1 })).toMatchObject({ written: 1 });
    expect(next(FROM.submitted, { type: 'finished', urls, written: 0 })).not.toHaveProperty('written');
    expect(next(undefined, { type: 'submit', startedAt: 1 })).toStrictEqual({
      state: 'submitting',
      startedAt: 1,
    });
  });

  it('advance throws INTERNAL with a hint on a refused event, and gives the state otherwise', () => {
    expect(() => advance(FROM.submitted, { type: 'answered', taskId: 'x', submittedAt: 1 })).toThrow(
      expect.objectContaining({ code: 'INTERNAL', hint: expect.stringContaining('bug') }),
    );
    expect(advance(FROM.submitted, { type: 'taskFailed' })).toBeUndefined();
  });
});

describe('entries and their states', () => {
  const entry: LedgerEntry = {
    provider: 'freepik',
    baseUrl: 'https://api.freepik.com',
    params: { scale: '2x' },
    contentHash: 'abc',
    input: 'a.png',
    path: '/in/a.png',
    kind: 'file',
    target: { dir: '/out', stem: 'a@2x' },
    ...(FROM.committing as LedgerState),
    version: LEDGER_VERSION,
    recordedAt: '2026-01-01T00:00:00.000Z',
  } as LedgerEntry;

  it('entryAt keeps the recipe, input and target and drops the old state’s fields', () => {
    const after = advance(entry, { type: 'committed' })!;
    const moved = entryAt(entry, after, new Date('2026-02-02T00:00:00Z'));
    expect(moved).toStrictEqual({
      provider: 'freepik',
      baseUrl: 'https://api.freepik.com',
      params: { scale: '2x' },
      contentHash: 'abc',
      input: 'a.png',
      path: '/in/a.png',
      kind: 'file',
      target: { dir: '/out', stem: 'a@2x' },
      version: LEDGER_VERSION,
      state: 'completed',
      taskId: 't-1',
      submittedAt: 200,
      urls,
      written: 1,
      recordedAt: '2026-02-02T00:00:00.000Z',
    });
    // Still an entry this version (and the one before) reads as it is.
    expect(parseEntry(JSON.stringify(moved)).entry).toStrictEqual(moved);
  });

  it('transitions read only the state of an entry: its recipe is not copied into the state', () => {
    expect(next(entry, { type: 'urlsExpired' })).toStrictEqual({
      state: 'submitted',
      taskId: 't-1',
      submittedAt: 200,
    });
  });

  it('hasResults and isCommitting name the states with result URLs', () => {
    expect(NAMES.filter((n) => hasResults(FROM[n]))).toEqual(['completed', 'committing']);
    expect(NAMES.filter((n) => isCommitting(FROM[n]))).toEqual(['committing']);
  });
});
