// api.js against a real HTTP server on loopback: the headers it sends, the protocol's
// error body, 401 handling and unreachable servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createApi, ApiError } from '../../src/api.js';

function serve(handler) {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => handler(req, body, res));
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function base(server) {
  return `http://127.0.0.1:${server.address().port}`;
}

test('sends the protocol header, the bearer token and a JSON body', async () => {
  let seen;
  const server = await serve((req, body, res) => {
    seen = { method: req.method, url: req.url, headers: req.headers, body };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"token":"t2","user":"wang","role":"supervisor","scope":["*"]}');
  });
  try {
    const api = createApi({ base: base(server), token: () => 'tok-1' });
    const session = await api.login('wang', 'pw', '0b5c1c5e-8f3a-4c1e-9d2a-3f4b5c6d7e8f');
    assert.equal(session.user, 'wang');
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/v1/login');
    assert.equal(seen.headers['gridwork-protocol'], '1');
    assert.equal(seen.headers.authorization, 'Bearer tok-1');
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(seen.body), { user: 'wang', password: 'pw', device_id: '0b5c1c5e-8f3a-4c1e-9d2a-3f4b5c6d7e8f' });
  } finally {
    server.close();
  }
});

test("the protocol's error body becomes an ApiError with code and message", async () => {
  const server = await serve((req, body, res) => {
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end('{"error":{"code":"forbidden","message":"not yours"}}');
  });
  try {
    const api = createApi({ base: base(server) });
    await assert.rejects(api.catalog(), (e) => e instanceof ApiError && e.status === 403 && e.code === 'forbidden' && e.message === 'not yours');
  } finally {
    server.close();
  }
});

test('a 401 on a request with a token reports the expired session; a failed sign-in does not', async () => {
  const server = await serve((req, body, res) => {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end('{"error":{"code":"unauthorized","message":"unknown or revoked token: sign in again"}}');
  });
  try {
    const expired = [];
    let held = 'old';
    const api = createApi({ base: base(server), token: () => held, onUnauthorized: (e) => expired.push(e.code) });
    await assert.rejects(api.me(), (e) => e.status === 401);
    assert.deepEqual(expired, ['unauthorized']);
    held = null;
    await assert.rejects(api.login('li', 'wrong', 'd'), (e) => e.code === 'unauthorized');
    assert.deepEqual(expired, ['unauthorized']);
  } finally {
    server.close();
  }
});

test('an error without the protocol body still has a code and a message', async () => {
  const server = await serve((req, body, res) => {
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<h1>Bad gateway</h1>');
  });
  try {
    const api = createApi({ base: base(server) });
    await assert.rejects(api.me(), (e) => e.status === 502 && e.code === 'http_502' && e.message.length > 0);
  } finally {
    server.close();
  }
});

test('an unreachable server is a network error', async () => {
  const server = await serve(() => {});
  const url = base(server);
  await new Promise((r) => server.close(r));
  const api = createApi({ base: url });
  await assert.rejects(api.me(), (e) => e instanceof ApiError && e.status === 0 && e.code === 'network');
});
