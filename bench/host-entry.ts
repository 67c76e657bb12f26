// What bench/firstPaintHost.mjs uses from the e2e harness (bundled by esbuild into out/bench/).
export { withVscode, e2eUnavailable } from '../test/e2e/harness';
export { watchOpening, flameOpeningKeybindings } from '../test/e2e/flameOpening';
export { fixture, supportedInterpreters } from '../test/helpers';
