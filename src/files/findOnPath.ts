// The first executable of a name on PATH, as a shell would find it. Used where no editor chooses the
// interpreter (pyprof mcp) and as the last fallback of the editor's own choice (ui/recording/interpreter.ts).

import * as fs from 'fs';
import * as path from 'path';

export function findOnPath(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}
