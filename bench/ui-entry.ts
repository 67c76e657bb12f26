// Bundled by bench/ui.mjs: the pure modules the extension runs when a profile becomes ready.
export { ProfileBuilder } from '../src/profile/model';
export { exportProfile, importProfile } from '../src/profile/formats';
export { summarizeProfile } from '../src/profile/summary';
export { buildPathTable } from '../src/profile/pathMap';
export { buildHotLineTables } from '../src/ui/editor/hotLines';
export { buildFlameFeed } from '../src/ui/flame/flameFeed';
export { flameHtml } from '../src/ui/flame/flameHtml';
export { readFlamePageCode } from '../src/ui/flame/flamePageCode';
