// The permission message for each situation: advice that fits the facts, nothing about mechanisms
// the machine does not have.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { explainPermission, PermissionFacts } from '../../src/engine/proc/permission';

const base: PermissionFacts = { pid: 42, failed: 'process_vm_readv', errno: 'EPERM', ourUid: 1000, ourUser: 'alice', ourCapSysPtrace: false, targetUid: 1000, targetUser: 'alice', targetDumpable: true };

test('always names the failed call and errno', () => {
  assert.match(explainPermission(base), /^permission denied: process_vm_readv for process 42 failed with EPERM\./);
});

test('Yama scope 1, same user: launch under pyprof or the ptrace_scope command', () => {
  const m = explainPermission({ ...base, yamaScope: 1 });
  assert.match(m, /Yama ptrace_scope is 1/);
  assert.match(m, /pyprof record -- python/);
  assert.match(m, /echo 0 \| sudo tee \/proc\/sys\/kernel\/yama\/ptrace_scope/);
});

test('no Yama: never mentions ptrace_scope', () => {
  for (const f of [base, { ...base, targetUid: 0, targetUser: 'root' }, { ...base, ourUid: 0, ourUser: 'root', ourCapSysPtrace: true }]) {
    const m = explainPermission({ ...f, yamaScope: undefined });
    assert.doesNotMatch(m, /ptrace_scope/);
    assert.match(m, /no Yama/);
  }
});

test('another owner: run as that user or sudo', () => {
  assert.match(explainPermission({ ...base, targetUid: 0, targetUser: 'root', yamaScope: 1 }), /belongs to root \(uid 0\).*Run pyprof as root or with sudo/);
});

test('already root with CAP_SYS_PTRACE: no sudo advice; namespaces, security modules, init', () => {
  const m = explainPermission({ ...base, ourUid: 0, ourUser: 'root', ourCapSysPtrace: true, targetUid: 0, targetUser: 'root' });
  assert.doesNotMatch(m, /with sudo|sudo tee/);
  assert.match(m, /another user namespace/);
  assert.match(m, /security module/);
});

test('kernel thread and Yama scope 3 are named as such', () => {
  assert.match(explainPermission({ ...base, kernelThread: true }), /kernel thread/);
  assert.match(explainPermission({ ...base, yamaScope: 3 }), /ptrace_scope 3 forbids/);
});

test('non-dumpable process of the same user needs CAP_SYS_PTRACE', () => {
  assert.match(explainPermission({ ...base, targetDumpable: false }), /not dumpable.*only be read with CAP_SYS_PTRACE/);
});
