import { selectMethod, useAppStore } from '../state/store';

/** What the method learns, why it does not collapse, and its loss. */
export function MethodCard() {
  const method = useAppStore(selectMethod);
  return (
    <section className="method-card" aria-label={`About ${method.title}`}>
      <h2>
        {method.title}{' '}
        <a href={method.paper.url} target="_blank" rel="noreferrer">{method.paper.title} ({method.paper.year})</a>
      </h2>
      <p>{method.summary}</p>
      <details>
        <summary>Why it does not collapse, the loss, and how this version differs</summary>
        <p>{method.whyNoCollapse}</p>
        <pre className="math">{method.lossMath}</pre>
        <p className="help">{method.implementationNotes}</p>
      </details>
    </section>
  );
}
