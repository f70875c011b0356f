/** The sign-in page (`POST /api/auth/login`): shown instead of everything while the daemon asks for credentials. */
import { useState } from 'preact/hooks';
import { ApiError, login } from '../api';
import { connectLive, disconnectLive, loadAgents, loadMe, navigate } from '../state';

export function LoginPage() {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError('');
    try {
      await login(String(form.get('email')), String(form.get('password')));
      disconnectLive();
      await loadMe();
      connectLive();
      await loadAgents();
      navigate('/');
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="login" aria-labelledby="login-title">
      <h1 id="login-title">Sign in to Caxton</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label>
          Email
          <input name="email" type="email" autocomplete="username" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </section>
  );
}
