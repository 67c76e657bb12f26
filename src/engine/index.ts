// The engine's public surface: attach to a Python process and read its threads' stacks, list
// Python processes, and sample. No vscode import anywhere under src/engine/.
export { attach, PythonProcess } from './attach';
export type { SnapshotOptions } from './attach';
export { listPythonProcesses } from './proc/processList';
export * from './types';
