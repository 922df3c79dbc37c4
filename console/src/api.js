// The console's only way to the server: fetch with the protocol's headers (the bearer
// token and `Gridwork-Protocol: 1`), JSON bodies, and the protocol's error body
// `{"error": {"code", "message"}}` turned into an ApiError carrying both.

/** The protocol version this console speaks (docs/sync-protocol.md). */
export const PROTOCOL_VERSION = '1';

/** A failed request: HTTP status (0 when the server was not reached), stable code, message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * A client for the server at `base` ('' for the page's own origin). `token()` gives the
 * bearer token or null; `onUnauthorized(error)` is called when a request that carried a
 * token is refused with 401 (the session expired or was revoked).
 */
export function createApi({ base = '', token = () => null, onUnauthorized = () => {} } = {}) {
  async function request(method, path, body) {
    const headers = { 'Gridwork-Protocol': PROTOCOL_VERSION, Accept: 'application/json' };
    const bearer = token();
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    const init = { method, headers, credentials: 'omit', cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(base + path, init);
    } catch (e) {
      throw new ApiError(0, 'network', String(e && e.message ? e.message : e));
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!res.ok) {
      const detail = data && typeof data === 'object' && data.error && typeof data.error === 'object' ? data.error : {};
      const code = typeof detail.code === 'string' ? detail.code : `http_${res.status}`;
      const message = typeof detail.message === 'string' ? detail.message : res.statusText || `HTTP ${res.status}`;
      const error = new ApiError(res.status, code, message);
      if (res.status === 401 && bearer) onUnauthorized(error);
      throw error;
    }
    if (data === null && text) throw new ApiError(res.status, 'bad_response', 'the server answered something that is not JSON');
    return data;
  }

  // A non-JSON body (a photo, a CSV file) with the same headers, as a Blob.
  async function blob(path, accept = '*/*') {
    const headers = { 'Gridwork-Protocol': PROTOCOL_VERSION, Accept: accept };
    const bearer = token();
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    let res;
    try {
      res = await fetch(base + path, { method: 'GET', headers, credentials: 'omit', cache: 'no-store' });
    } catch (e) {
      throw new ApiError(0, 'network', String(e && e.message ? e.message : e));
    }
    if (!res.ok) {
      const error = new ApiError(res.status, `http_${res.status}`, res.statusText || `HTTP ${res.status}`);
      if (res.status === 401 && bearer) onUnauthorized(error);
      throw error;
    }
    return res.blob();
  }

  // A photo's bytes, `PUT /v1/blobs/{sha256}` (after the step that references it).
  async function putBlob(sha256, body) {
    const headers = { 'Gridwork-Protocol': PROTOCOL_VERSION, Accept: 'application/json', 'Content-Type': 'application/octet-stream' };
    const bearer = token();
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    let res;
    try {
      res = await fetch(`${base}/v1/blobs/${encodeURIComponent(sha256)}`, { method: 'PUT', headers, body, credentials: 'omit', cache: 'no-store' });
    } catch (e) {
      throw new ApiError(0, 'network', String(e && e.message ? e.message : e));
    }
    if (!res.ok) {
      let detail = {};
      try {
        detail = (await res.json())?.error || {};
      } catch {
        detail = {};
      }
      const error = new ApiError(res.status, detail.code || `http_${res.status}`, detail.message || res.statusText || `HTTP ${res.status}`);
      if (res.status === 401 && bearer) onUnauthorized(error);
      throw error;
    }
  }

  const query = (params) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    const text = q.toString();
    return text ? `?${text}` : '';
  };

  return {
    request,
    blob,
    putBlob,
    /** `GET /v1/users` → every account (city administrators only). */
    users: () => request('GET', '/v1/users'),
    /** `POST /v1/users` → the new account. */
    createUser: (body) => request('POST', '/v1/users', body),
    /** `PATCH /v1/users/{name}` → the changed account. */
    changeUser: (name, body) => request('PATCH', `/v1/users/${encodeURIComponent(name)}`, body),
    /** `GET /v1/cases?…` → `{ cases, next }` (a keyset page, newest first). */
    cases: (params) => request('GET', `/v1/cases${query(params)}`),
    /** `GET /v1/cases/{id}` → the case with view, timeline and photos. */
    caseDetail: (id) => request('GET', `/v1/cases/${encodeURIComponent(id)}`),
    /** `POST /v1/cases/{id}/actions` → the case view after the action. */
    act: (id, body) => request('POST', `/v1/cases/${encodeURIComponent(id)}/actions`, body),
    /** `GET /v1/patrols?…` → `{ patrols, next }` (with `track: true`, each with its line). */
    patrols: (params) => request('GET', `/v1/patrols${query(params)}`),
    /** `GET /v1/map?bbox=…&zoom=…` → the map's overview (cells, clusters, markers). */
    map: (params) => request('GET', `/v1/map${query(params)}`),
    /** `GET /v1/evaluation?…` → rows of figures. */
    evaluation: (params) => request('GET', `/v1/evaluation${query(params)}`),
    /** `GET /v1/evaluation?…&format=csv` as a Blob. */
    evaluationCsv: (params) => blob(`/v1/evaluation${query({ ...params, format: 'csv' })}`, 'text/csv'),
    /** `GET /v1/devices?…` → `{ now_ms, devices }` (each device's sync health). */
    devices: (params) => request('GET', `/v1/devices${query(params)}`),
    /** `GET /v1/devices?…&format=csv` as a Blob. */
    devicesCsv: (params) => blob(`/v1/devices${query({ ...params, format: 'csv' })}`, 'text/csv'),
    /** `POST /v1/login` → the session (token, user, role, scope). */
    login: (user, password, deviceId) => request('POST', '/v1/login', { user, password, device_id: deviceId }),
    /** `GET /v1/me` → who the token belongs to. */
    me: () => request('GET', '/v1/me'),
    /** `GET /v1/catalog` → `{ catalog, grid }` (grid: a GeoJSON FeatureCollection). */
    catalog: () => request('GET', '/v1/catalog'),
    /** `GET /console/config.json` → the server's console options (base map). */
    config: () => request('GET', '/console/config.json'),
  };
}
