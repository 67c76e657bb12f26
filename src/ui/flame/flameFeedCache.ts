// One flame feed per loaded profile and frame kind (theme changes, panel re-opens and toggling
// function/line frames back resend the same bytes).

import { formatCount } from '../../profile/summary';
import { DEFAULT_FLAME_FEED, FlameFrames, buildFlameFeed } from './flameFeed';
import { log } from '../output';
import type { LoadedProfile } from '../store';

const cache = new WeakMap<LoadedProfile, Map<FlameFrames, string>>();

export async function flameFeedBase64(p: LoadedProfile, frames: FlameFrames = 'function'): Promise<string> {
  let byKind = cache.get(p);
  if (!byKind) cache.set(p, (byKind = new Map()));
  let b64 = byKind.get(frames);
  if (b64 === undefined) {
    const t0 = Date.now();
    const feed = buildFlameFeed(p.profile, p.label, { ...DEFAULT_FLAME_FEED, frames });
    b64 = Buffer.from(feed.json, 'utf8').toString('base64');
    byKind.set(frames, b64);
    const folded = feed.keptNodes < feed.totalNodes ? `, subtrees under ${formatCount(feed.threshold)} samples folded (${formatCount(feed.keptNodes)} of ${formatCount(feed.totalNodes)} stack prefixes kept)` : '';
    log(`flame graph data (frames by ${frames}): ${formatCount(b64.length)} bytes in ${Date.now() - t0} ms${folded}`);
  }
  return b64;
}
