// Entry bundled to dist/bench-engine.js (scripts/build-bench.mjs) so bench/run.mjs measures the
// same engine code the CLI ships, without going through the CLI's process start-up.
export { attach } from '../src/engine';
export { Sampler, blockFor } from '../src/engine/sampler';
export { Recorder } from '../src/engine/recorder';
export { launch } from '../src/engine/launch';
export { measureAccuracy, ACCURACY_MODES } from '../test/accuracy';
