// What the case page offers: exactly the actions the server lists for the signed-in
// account in the case's `permitted_actions` (computed on the server by the core's
// workflow::permitted and workflow::check for the account's post and department — not
// here), in the server's order; and what each action's form needs. The server decides;
// a refusal shows its reason.

/** Actions that need a reason (the workflow refuses them without one). */
export const NEEDS_REASON = new Set([
  'cancel', 'return', 'postpone', 'suspend', 'reopen', 'verify_fail',
  'apply_return', 'apply_postpone', 'apply_suspend', 'refuse',
]);

/** Actions that need a photo (the department's feedback). */
export const NEEDS_PHOTO = new Set(['handle']);

/** Actions that choose a department: dispatch (default the category's) and assist. */
export const NEEDS_DEPARTMENT = new Set(['dispatch', 'assist']);

/** Actions that may carry an extension of the deadline (hours). */
export const TAKES_EXTENSION = new Set(['postpone', 'apply_postpone']);

/** Taken on site with the worker's phone (position, photo): never from the console. */
const ON_SITE = new Set(['verify_pass', 'verify_fail', 'self_resolve']);

/**
 * The actions the console offers on case `c`: the server's `permitted_actions`, less
 * the on-site steps and resolving a conflict (offered beside each conflict).
 */
export function actionsFor(c) {
  const list = Array.isArray(c?.permitted_actions) ? c.permitted_actions : [];
  return list.filter((a) => typeof a === 'string' && !ON_SITE.has(a) && a !== 'resolve_conflict');
}

/** Whether the server lets the account resolve this case's conflicts. */
export function mayResolveConflicts(c) {
  return Array.isArray(c?.permitted_actions) && c.permitted_actions.includes('resolve_conflict');
}

/**
 * The request body of `action` with the form's `note`, `department` (dispatch, assist;
 * empty: the server's default), `extendHours` (postponements) and `photos` (handle).
 */
export function actionBody(action, { note = '', department = '', extendHours = '', photos = [] } = {}) {
  const body = { action };
  if (note.trim()) body.note = note.trim();
  if (NEEDS_DEPARTMENT.has(action) && department) body.department = department;
  const hours = Number(extendHours);
  if (TAKES_EXTENSION.has(action) && String(extendHours).trim() && Number.isInteger(hours) && hours > 0) {
    body.extend = { value: hours, unit: 'working_hours' };
  }
  if (NEEDS_PHOTO.has(action) && photos.length) body.photos = photos;
  return body;
}

/** `{sha256, size, mime}` of a File (or Blob), hashed with Web Crypto. */
export async function photoRef(file) {
  const bytes = await file.arrayBuffer();
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  const sha256 = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return { sha256, size: bytes.byteLength, mime: file.type || 'image/jpeg' };
}
