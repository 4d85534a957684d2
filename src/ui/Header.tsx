import { useState } from 'react';
import { methods } from '../methods/registry';
import { actions, useAppStore, type StoreState } from '../state/store';
import { hashOf } from '../state/urlSync';

const selectMethodId = (state: StoreState) => state.experiment.methodId;
const selectBackend = (state: StoreState) => state.backend;

/** Title, method picker, the backend status line and the Copy link button. */
export function Header() {
  const methodId = useAppStore(selectMethodId);
  const backend = useAppStore(selectBackend);

  const [copied, setCopied] = useState<string | null>(null);

  const copyLink = async () => {
    const link = `${window.location.origin}${window.location.pathname}${hashOf()}`;
    try {
      await navigator.clipboard.writeText(link);
      setCopied('Link copied');
    } catch {
      // Clipboard needs permission in some browsers: show the link so it can be copied by hand.
      window.prompt('Copy this link:', link);
      setCopied('Link shown');
    }
    window.setTimeout(() => setCopied(null), 2000);
  };

  return (
    <header className="app-header">
      <h1>SSL Playground</h1>
      <label className="method-picker">
        <span>Method</span>
        <select value={methodId} onChange={(event) => actions.setMethod(event.target.value)}>
          {methods.map((m) => <option key={m.id} value={m.id}>{m.title}</option>)}
        </select>
      </label>
      <p className="backend-status" data-testid="backend-status" role="status"
        title={backend?.fallbacks.length ? `Skipped: ${backend.fallbacks.join('; ')}` : undefined}>
        {backend ? `${backend.name} · ${backend.adapter}` : 'starting compute backend…'}
      </p>
      <button type="button" onClick={copyLink}>{copied ?? 'Copy link'}</button>
      <button type="button" onClick={() => actions.setIntroOpen(true)} title="What self-supervised learning is, and a guided first run">Start here</button>
    </header>
  );
}
