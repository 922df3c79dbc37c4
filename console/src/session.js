// What the browser keeps: the bearer token for this tab only (sessionStorage, gone when
// the tab closes) and one device id per account signing in on this browser
// (localStorage), a random UUID sent with every sign-in so the server can tell this
// browser's sessions apart. Per account, because the server binds a device id to the
// first account that uses it: on a desk several people share, each gets their own.

const TOKEN_KEY = 'gridwork.console.token';
const DEVICE_KEY = 'gridwork.console.device';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A random (version 4) UUID. Uses getRandomValues, which unlike randomUUID also works outside secure contexts. */
export function randomUuid(fill = (bytes) => globalThis.crypto.getRandomValues(bytes)) {
  const b = fill(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** True for what randomUuid makes. */
export function isUuid(s) {
  return typeof s === 'string' && UUID.test(s);
}

function read(storage, key) {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}

function write(storage, key, value) {
  try {
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, value);
  } catch {
    // Storage refused (private mode, quota): the value lives until the page closes.
  }
}

/** The localStorage key of `user`'s device id on this browser. */
export function deviceKey(user) {
  return `${DEVICE_KEY}.${encodeURIComponent(user)}`;
}

/** This browser's device id for `user`, made and kept on the account's first sign-in here. */
export function deviceId(user, storage = globalThis.localStorage) {
  const key = deviceKey(user);
  const held = read(storage, key);
  if (isUuid(held)) return held;
  const id = randomUuid();
  write(storage, key, id);
  return id;
}

/** The token of this tab's session, or null. */
export function token(storage = globalThis.sessionStorage) {
  return read(storage, TOKEN_KEY);
}

/** Keeps `value` as this tab's token (null forgets it). */
export function setToken(value, storage = globalThis.sessionStorage) {
  write(storage, TOKEN_KEY, value);
}
