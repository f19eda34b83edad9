import { render } from 'preact';

function App() {
  return <main><h1>aitrail</h1></main>;
}

render(<App />, document.getElementById('app')!);
