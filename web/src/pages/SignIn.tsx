import { useState } from 'preact/hooks';
import { api, type Me } from '../api.js';
import { ErrorBox } from '../components/ui.js';
import { useTitle } from '../util.js';

export function SignIn({ onSignedIn, expired }: { onSignedIn: (me: Me) => void; expired?: boolean }) {
  useTitle('Sign in');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!token.trim()) return;
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await api<Me>('POST', '/api/session', { token: token.trim() }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form class="panel signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div class="brand big">
          <span class="logo" aria-hidden="true">◆</span> aitrail
        </div>
        <h1 id="signin-title">Sign in to the console</h1>
        <p class="muted">The audit trail of your AI workloads: Bedrock, SageMaker, training data, GPUs.</p>
        {expired ? (
          <p class="notice" role="status">
            Your session ended. Sign in again.
          </p>
        ) : null}
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          placeholder="aitr_…"
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          aria-describedby="token-help"
          autoFocus
          required
        />
        <p id="token-help" class="help">
          Create one with <code>aitrail tokens create --role analyst --name you</code>. The console keeps it in an HttpOnly session cookie, never in the page.
        </p>
        <ErrorBox error={error} title="Sign-in failed" />
        <button type="submit" class="btn primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
