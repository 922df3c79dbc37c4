// Signing in and out. POST /v1/login with the user, the password and this browser's
// device id; the token is kept for this tab only (session.js). Signing out forgets the
// token in the browser (protocol v1 has no revoke call; `gridwork admin` revokes).

import { deviceId, setToken } from './session.js';
import { setText } from './dom.js';

/** The text for a failed request, in the current language. */
export function describeError(error, t) {
  if (error && error.code === 'network') return t('network_error', { message: error.message });
  if (error && error.status === 401) return t('wrong_credentials');
  return t('server_error', { code: error?.code ?? '?', message: error?.message ?? String(error) });
}

/** Wires the sign-in `form`; `onSignedIn(session)` runs after a successful sign-in. */
export function initLogin({ form, errorNode, api, t, onSignedIn }) {
  const button = form.querySelector('button[type=submit]');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const user = form.elements.user.value.trim();
    const password = form.elements.password.value;
    setText(errorNode, '');
    button.disabled = true;
    setText(button, t('signing_in'));
    try {
      const session = await api.login(user, password, deviceId(user));
      setToken(session.token);
      form.elements.password.value = '';
      await onSignedIn(session);
    } catch (error) {
      setText(errorNode, describeError(error, t));
      form.elements.password.select();
    } finally {
      button.disabled = false;
      setText(button, t('sign_in'));
    }
  });
}

/** Forgets this tab's session. */
export function signOut() {
  setToken(null);
}
