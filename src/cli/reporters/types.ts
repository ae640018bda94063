/** A reporter turns the library's callbacks into what a person or a script reads. */
import type { RetryEvent, TaskEvents, TaskResult } from '../../api/results.js';

export interface BatchProgress {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  /** A failure whose cause stopped the run and was said with an earlier input: counted, not said again. */
  readonly sameCause?: boolean;
}

export interface Reporter {
  readonly events: TaskEvents;
  retry(event: RetryEvent): void;
  /** --verbose request log. */
  log(line: string): void;
  warn(message: string): void;
  /** A line for people about the run as a whole ("stopping: …"), above any live display. */
  note(message: string): void;
  /** Requests wait for the API key's budget until `until` (ms since epoch). */
  budgetWait(until: number): void;
  /** A line of data (a result path, a JSON line) for stdout, printed clear of any live display. */
  data(line: string): void;
  /** One input ended (any status). */
  result(result: TaskResult, progress: BatchProgress): void;
  /** The run ended: stop spinners and bars. */
  close(): void;
}
