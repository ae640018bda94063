/**
 * What the local engine has here (runtime, models, measured speed), for `upscale providers` and
 * `upscale version --verbose`; apart from local-engine.ts so these load no installer.
 */
export { describeLocalEngine, type LocalEngineStatus } from '../local/describe.js';
