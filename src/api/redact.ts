/** Keys and URL credentials hidden from what is printed (kept apart so start-up loads no HTTP client). */
export { redact, withoutCredentials } from '../http/redact.js';
