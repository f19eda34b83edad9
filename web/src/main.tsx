/** The console: sign-in, then a layout with the pages. */
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import './styles.css';
import { api, ApiError, can, onUnauthorized, type Me } from './api.js';
import { Link, navigate, useLocation } from './router.js';
import { SessionContext } from './session.js';
import { ErrorBox } from './components/ui.js';
import { SignIn } from './pages/SignIn.js';
import { DashboardPage } from './pages/Dashboard.js';
import { EventsPage } from './pages/Events.js';
import { EventDetailPage } from './pages/EventDetail.js';
import { FindingsPage } from './pages/Findings.js';
import { FindingDetailPage } from './pages/FindingDetail.js';
import { SqlPage } from './pages/Sql.js';
import { RulesPage } from './pages/Rules.js';

const NAV = [
  { href: '/', label: 'Dashboard', match: (p: string) => p === '/' || p === '/dashboard' },
  { href: '/events', label: 'Event history', match: (p: string) => p.startsWith('/events') },
  { href: '/findings', label: 'Findings', match: (p: string) => p.startsWith('/findings') },
  { href: '/sql', label: 'SQL', match: (p: string) => p.startsWith('/sql'), perm: 'sql' as const },
  { href: '/rules', label: 'Rules', match: (p: string) => p.startsWith('/rules') },
];

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [bootError, setBootError] = useState<unknown>();
  const [expired, setExpired] = useState(false);

  useEffect(() => {
    api<Me>('GET', '/api/session').then(
      (m) => setMe(m),
      (e) => {
        if (e instanceof ApiError && e.status === 401) setMe(null);
        else setBootError(e);
      },
    );
    return onUnauthorized(() => {
      setExpired(true);
      setMe(null);
    });
  }, []);

  if (bootError) return <main class="center-page"><ErrorBox error={bootError} title="The console cannot reach the server" /></main>;
  if (me === undefined) return <main class="center-page"><p role="status">Loading…</p></main>;
  if (me === null)
    return (
      <SignIn
        expired={expired}
        onSignedIn={(m) => {
          setExpired(false);
          setMe(m);
          if (location.pathname === '/signin') navigate('/', { replace: true });
        }}
      />
    );
  return (
    <SessionContext.Provider value={me}>
      <Layout me={me} onSignOut={() => setMe(null)} />
    </SessionContext.Provider>
  );
}

function Layout({ me, onSignOut }: { me: Me; onSignOut: () => void }) {
  const loc = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  const lastPath = useRef(loc.path);
  // After moving to another page, focus its heading so screen readers announce it.
  useEffect(() => {
    if (lastPath.current === loc.path) return;
    lastPath.current = loc.path;
    const h = mainRef.current?.querySelector('h1');
    if (h) {
      h.setAttribute('tabindex', '-1');
      h.focus({ preventScroll: true });
    }
  }, [loc.path]);

  const signOut = async () => {
    await api('DELETE', '/api/session').catch(() => undefined);
    onSignOut();
  };

  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="topbar">
        <Link href="/" class="brand" aria-label="aitrail home">
          <span class="logo" aria-hidden="true">◆</span> aitrail
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => !n.perm || can(me, n.perm)).map((n) => (
              <li key={n.href}>
                <Link href={n.href} aria-current={n.match(loc.path) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span title="Signed in as">
            {me.name} <span class="role">{me.role}</span>
          </span>
          <button type="button" class="btn small ghost" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={mainRef}>
        {me.role === 'ingest' ? <IngestOnly /> : <Page path={loc.path} me={me} />}
      </main>
    </>
  );
}

function IngestOnly() {
  return (
    <section class="panel">
      <h1>This token can only push events</h1>
      <p>The <code>ingest</code> role sends events to <code>POST /api/audit-events</code>; it cannot read them. Sign out and sign in with a viewer, analyst or admin token.</p>
    </section>
  );
}

function Page({ path, me }: { path: string; me: Me }) {
  if (path === '/' || path === '/dashboard' || path === '/signin') return <DashboardPage />;
  if (path === '/events') return <EventsPage />;
  let m = /^\/events\/(.+)$/.exec(path);
  if (m) return <EventDetailPage id={decodeURIComponent(m[1]!)} />;
  if (path === '/findings') return <FindingsPage />;
  m = /^\/findings\/(.+)$/.exec(path);
  if (m) return <FindingDetailPage id={decodeURIComponent(m[1]!)} />;
  if (path === '/sql')
    return can(me, 'sql') ? (
      <SqlPage />
    ) : (
      <section class="panel">
        <h1>SQL</h1>
        <p>Your role ({me.role}) cannot run SQL. Ask an admin for an analyst token.</p>
      </section>
    );
  if (path === '/rules') return <RulesPage />;
  return (
    <section class="panel">
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>. Go to the <Link href="/">dashboard</Link>.
      </p>
    </section>
  );
}

render(<App />, document.getElementById('app')!);
