// Which workflow actions a supervisor may take on a case in each status (the core's
// workflow::check: roles and statuses), and what each needs: a reason, a department.
// The server decides; a refusal shows its reason.

const TABLE = {
  register: ['reported'],
  cancel: ['reported', 'registered', 'dispatched', 'handled', 'verified', 'suspended'],
  dispatch: ['registered'],
  close: ['verified'],
  return: ['dispatched', 'handled'],
  postpone: ['dispatched'],
  suspend: ['registered', 'dispatched', 'handled'],
  resume: ['suspended'],
  reopen: ['closed', 'cancelled'],
};

/** Actions that need a reason (the server refuses them without one). */
export const NEEDS_REASON = new Set(['cancel', 'return', 'postpone', 'suspend', 'reopen']);

/** The actions a supervisor may take on a case in `status`, in a fixed order. */
export function actionsFor(status) {
  return Object.keys(TABLE).filter((a) => TABLE[a].includes(status));
}

/** The request body of `action` with the form's `note` and `department`. */
export function actionBody(action, { note = '', department = '' } = {}) {
  const body = { action };
  if (note.trim()) body.note = note.trim();
  if (action === 'dispatch' && department) body.department = department;
  return body;
}
