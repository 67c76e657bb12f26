// How a native (C/C++) frame is told apart from a Python frame everywhere a profile goes: its
// `file` is the module's path followed by NATIVE_TAG (`/usr/lib/x86_64-linux-gnu/libblas.so.3
// [native]`). A plain string survives every format (speedscope, collapsed, pprof, the journal)
// without a field of its own, and no Python source path ends that way.
export const NATIVE_TAG = ' [native]';

export function nativeFile(modulePath: string): string {
  return modulePath + NATIVE_TAG;
}

export function isNativeFile(file: string): boolean {
  return file.endsWith(NATIVE_TAG);
}

/** `libblas.so.3` from `/usr/lib/x86_64-linux-gnu/libblas.so.3 [native]`. */
export function nativeModuleName(file: string): string {
  const p = isNativeFile(file) ? file.slice(0, -NATIVE_TAG.length) : file;
  return p.slice(p.lastIndexOf('/') + 1);
}
