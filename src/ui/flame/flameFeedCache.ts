// One flame feed per loaded profile (theme changes and panel re-opens resend the same bytes).

import { formatCount } from '../../profile/summary';
import { buildFlameFeed } from './flameFeed';
import { log } from '../output';
import type { LoadedProfile } from '../store';

const cache = new WeakMap<LoadedProfile, string>();

export async function flameFeedBase64(p: LoadedProfile): Promise<string> {
  let b64 = cache.get(p);
  if (b64 === undefined) {
    const t0 = Date.now();
    const feed = buildFlameFeed(p.profile, p.label);
    b64 = Buffer.from(feed.json, 'utf8').toString('base64');
    cache.set(p, b64);
    const folded = feed.keptNodes < feed.totalNodes ? `, subtrees under ${formatCount(feed.threshold)} samples folded (${formatCount(feed.keptNodes)} of ${formatCount(feed.totalNodes)} stack prefixes kept)` : '';
    log(`flame graph data: ${formatCount(b64.length)} bytes in ${Date.now() - t0} ms${folded}`);
  }
  return b64;
}
