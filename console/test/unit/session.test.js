import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUuid, isUuid, deviceId, token, setToken } from '../../src/session.js';

// The Web Storage interface over a Map (node has no localStorage).
function memoryStorage() {
  const m = new Map();
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => m.set(k, String(v)),
    removeItem: (k) => m.delete(k),
  };
}

test('device ids are version-4 UUIDs, different each time', () => {
  const ids = new Set();
  for (let i = 0; i < 1000; i++) {
    const id = randomUuid();
    assert.ok(isUuid(id), id);
    ids.add(id);
  }
  assert.equal(ids.size, 1000);
  assert.equal(randomUuid((b) => b.fill(0)), '00000000-0000-4000-8000-000000000000');
  assert.equal(randomUuid((b) => b.fill(255)), 'ffffffff-ffff-4fff-bfff-ffffffffffff');
});

test('a browser keeps a device id per account; a damaged one is replaced', () => {
  const s = memoryStorage();
  const first = deviceId('wang', s);
  assert.equal(deviceId('wang', s), first);
  const other = deviceId('li', s);
  assert.ok(isUuid(other));
  assert.notEqual(other, first, 'a second account on the same browser gets its own device');
  assert.equal(deviceId('wang', s), first);
  assert.equal(s.getItem('gridwork.console.device.wang'), first);
  s.setItem('gridwork.console.device.wang', 'not a uuid');
  const second = deviceId('wang', s);
  assert.ok(isUuid(second));
  assert.notEqual(second, first);
});

test('the token is kept and forgotten', () => {
  const s = memoryStorage();
  assert.equal(token(s), null);
  setToken('abc', s);
  assert.equal(token(s), 'abc');
  setToken(null, s);
  assert.equal(token(s), null);
});

test('a storage that throws does not break the console', () => {
  const broken = { getItem() { throw new Error('denied'); }, setItem() { throw new Error('denied'); }, removeItem() { throw new Error('denied'); } };
  assert.ok(isUuid(deviceId('wang', broken)));
  assert.equal(token(broken), null);
  setToken('x', broken);
});
