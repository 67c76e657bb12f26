// Type resolution for the vscode-languageserver/-client 11 packages under this repo's tsconfig
// ("module": "commonjs" → node10 resolution). Those packages publish only an "exports" map (no
// "main"/"types"), which node10 resolution ignores, so `import … from 'vscode-languageserver/node'`
// would not type-check. These ambient modules point TypeScript at the same files the exports map
// names; at run time Node and esbuild resolve the real exports map, so nothing changes there.

declare module 'vscode-jsonrpc' {
  export * from 'vscode-jsonrpc/lib/common/api';
}
declare module 'vscode-jsonrpc/node' {
  export * from 'vscode-jsonrpc/lib/node/main';
}
declare module 'vscode-languageserver-protocol' {
  export * from 'vscode-languageserver-protocol/lib/common/api';
}
declare module 'vscode-languageserver-protocol/node' {
  export * from 'vscode-languageserver-protocol/lib/node/main';
}
declare module 'vscode-languageserver' {
  export * from 'vscode-languageserver/lib/common/api';
}
declare module 'vscode-languageserver/node' {
  export * from 'vscode-languageserver/lib/node/main';
}
declare module 'vscode-languageclient' {
  export * from 'vscode-languageclient/lib/common/api';
}
declare module 'vscode-languageclient/node' {
  export * from 'vscode-languageclient/lib/node/main';
}
