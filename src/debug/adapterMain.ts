// Entry point of dist/debugAdapter.js: the pyprof debug adapter speaking DAP over stdin/stdout.
// VS Code starts it as a separate process (src/ui/recording/debugType.ts); any DAP client can too.
// A target the adapter holds stopped is resumed when it exits or is signalled (engine ptrace
// hooks), and by the kernel when it is killed outright.

import { PyprofDebugSession } from './adapter';

const session = new PyprofDebugSession();
process.on('SIGTERM', () => session.shutdown());
session.start(process.stdin, process.stdout);
