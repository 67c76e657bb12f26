// One small, hand-checkable profile of a real Python file, shared by the language-server unit and
// integration tests. Line numbers in comments are 1-based, as in the profile.

import { Profile, ProfileBuilder, StackEntry } from '../../src/profile/model';

export const APP_SOURCE = [
  'def deco(f):', //                 1
  '    return f', //                 2
  'def helper(n):', //               3
  '    total = 0', //                4
  '    for i in range(n):', //       5
  '        total += i * i', //       6
  '    return total', //             7
  'class Worker:', //                8
  '    def run(self):', //           9
  '        return helper(1000)', //  10
  '', //                             11
  '@deco', //                        12
  'async def decorated():', //       13
  '    return Worker().run()', //    14
  '', //                             15
  'def main():', //                  16
  '    for _ in range(3):', //       17
  '        decorated()', //          18
  '        helper(10)', //           19
  '', //                             20
  'main()', //                       21
  '',
].join('\n');

/**
 * Samples (total 100):
 *   60  <module>:21 → main:18 → decorated:14 → Worker.run:10 → helper:6
 *   10  <module>:21 → main:18 → decorated:14 → Worker.run:10 → helper:5
 *   20  <module>:21 → main:19 → helper:6
 *   10  <module>:21 → main:17
 * decorated's def line is its decorator's (co_firstlineno), 12.
 */
export function appProfile(file: string): Profile {
  const b = new ProfileBuilder({ source: 'pyprof', mode: 'sampling', unit: 'samples', rateHz: 100 });
  const th = b.internThread(1, 'MainThread');
  const mod = (line: number): StackEntry => ({ name: '<module>', file, firstLine: 1, line });
  const main = (line: number): StackEntry => ({ name: 'main', file, firstLine: 16, line });
  const decorated = (line: number): StackEntry => ({ name: 'decorated', file, firstLine: 12, line });
  const run = (line: number): StackEntry => ({ name: 'Worker.run', file, firstLine: 9, line });
  const helper = (line: number): StackEntry => ({ name: 'helper', file, firstLine: 3, line });
  b.addSample(th, b.internStack([mod(21), main(18), decorated(14), run(10), helper(6)]), 60);
  b.addSample(th, b.internStack([mod(21), main(18), decorated(14), run(10), helper(5)]), 10);
  b.addSample(th, b.internStack([mod(21), main(19), helper(6)]), 20);
  b.addSample(th, b.internStack([mod(21), main(17)]), 10);
  return b.finish();
}
