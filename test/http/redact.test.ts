import { describe, expect, it } from 'vitest';
import { redact, redactLog, withoutCredentials } from '../../src/http/redact.js';

describe('redactLog: what --verbose may print', () => {
  it.each([
    [
      'GET https://cdn.example.com/files/a.png?token=abc123 → 200',
      'GET https://cdn.example.com/files/a.png?token=*** → 200',
    ],
    [
      'GET https://s3.example.com/x.png?X-Amz-Expires=3600&X-Amz-Signature=deadbeef → 200 (3 ms)',
      'GET https://s3.example.com/x.png?X-Amz-Expires=***&X-Amz-Signature=*** → 200 (3 ms)',
    ],
    [
      'POST http://user:s3cret@proxy.local:8080/v1/ai/image-upscaler → 500',
      'POST http://***@proxy.local:8080/v1/ai/image-upscaler → 500',
    ],
    // The API's own query says which task or page: kept.
    [
      'GET https://api.novita.ai/v3/async/task-result?task_id=t-1 → 200',
      'GET https://api.novita.ai/v3/async/task-result?task_id=t-1 → 200',
    ],
    [
      'GET https://api.freepik.com/v1/ai/image-upscaler?page=2&per_page=50 → 200',
      'GET https://api.freepik.com/v1/ai/image-upscaler?page=2&per_page=50 → 200',
    ],
    ['no url here', 'no url here'],
  ])('%s', (line, expected) => expect(redactLog(line, [])).toBe(expected));

  it('hides keys too, wherever they are', () => {
    expect(redactLog('GET https://h/x?task_id=KEY-1234 KEY-1234', ['KEY-1234'])).toBe(
      'GET https://h/x?task_id=*** ***',
    );
    expect(redact('key KEY-1234', ['KEY-1234'])).toBe('key ***');
  });
});

describe('withoutCredentials: what the ledger may store', () => {
  it.each([
    ['https://user:pass@proxy.example.com/api', 'https://proxy.example.com/api'],
    ['https://user:pass@proxy.example.com/', 'https://proxy.example.com/'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['https://api.freepik.com', 'https://api.freepik.com'],
    ['not a url', 'not a url'],
  ])('%s → %s', (url, expected) => expect(withoutCredentials(url)).toBe(expected));
});
