/**
 * The presentational table rendered to static markup (no DOM needed): the test ids and data
 * attributes e2e tests read, hidden columns, the Evaluate button's states and the empty state.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { EvaluationScores } from '../../methods/evaluation';
import { getMethod } from '../../methods/registry';
import { presetValues } from '../../state/url';
import { ResultsTableView, type ResultsTableViewProps } from './ResultsTable';
import { buildRows, type ResultsRunInput } from './resultsData';

const base: EvaluationScores = { knn: 0.3, linear: 0.35 };
const cnn: ResultsRunInput = {
  key: 3, name: 'SimCLR CNN', color: '#16a34a', methodId: 'simclr', presetId: 'default',
  values: presetValues(getMethod('simclr'), 'default'),
  evaluations: [{ step: 120, scores: { knn: 0.65, linear: 0.2 }, baseline: base, ms: 10 }],
};
const vit: ResultsRunInput = {
  key: 1, name: 'DINO', color: '#2563eb', methodId: 'dino', presetId: 'tiny',
  values: presetValues(getMethod('dino'), 'tiny'),
  evaluations: [{
    step: 50, scores: { knn: 0.5, linear: 0.5, segmentation: [0.3, 0.4, 0.5], jaccard: 0.2 },
    baseline: { ...base, segmentation: [0.2, 0.2, 0.2], jaccard: 0.1 }, ms: 10,
  }],
};

function render(props: Partial<ResultsTableViewProps>): string {
  return renderToStaticMarkup(createElement(ResultsTableView, {
    rows: [], focused: { key: 1, name: 'DINO', ready: true, evaluating: false }, onEvaluate: () => {}, ...props,
  }));
}

const button = (html: string) => /<button[^>]*data-testid="evaluate-button"[^>]*>([^<]*)<\/button>/.exec(html);

describe('ResultsTableView', () => {
  it('shows the empty state and an enabled Evaluate button when nothing is evaluated', () => {
    const html = render({});
    expect(html).toContain('data-testid="results-table"');
    expect(html).toContain('data-testid="results-empty"');
    expect(html).not.toContain('<table');
    expect(button(html)?.[0]).not.toContain('disabled');
    expect(button(html)?.[1]).toBe('Evaluate focused run');
  });

  it('disables the button while evaluating (and says so) or before the trainer exists', () => {
    const busy = render({ focused: { key: 1, name: 'DINO', ready: true, evaluating: true } });
    expect(button(busy)?.[0]).toContain('disabled');
    expect(button(busy)?.[1]).toBe('Evaluating…');
    expect(button(render({ focused: { key: 1, name: 'DINO', ready: false, evaluating: false } }))?.[0]).toContain('disabled');
    expect(button(render({ focused: null }))?.[0]).toContain('disabled');
  });

  it('marks rows and cells for tests, with raw values, and hides columns nobody has', () => {
    const html = render({ rows: buildRows([cnn]) });
    expect(html.match(/data-testid="results-row"/g)).toHaveLength(1);
    expect(html).toContain('data-run="3"');
    expect(html).toMatch(/data-col="knn"[^>]*data-value="0.65" data-baseline="0.3"/);
    expect(html).toContain('65.0%');
    expect(html).toContain('(rand 30.0%)');
    expect(html).toContain('results__delta--up');
    expect(html).toContain('results__delta--down'); // linear 20% < 35%
    expect(html).not.toContain('data-col="seg10"');
    expect(html).not.toContain('data-col="jaccard"');
    expect(html).toMatch(/<th[^>]*data-col="knn"[^>]*aria-sort="none"/);
  });

  it('shows a ViT run\'s segmentation and Jaccard columns, with a dash where another run has none', () => {
    const html = render({ rows: buildRows([vit, cnn]), initialSort: { column: 'knn', direction: 'desc' } });
    expect(html).toMatch(/data-col="seg100"[^>]*data-value="0.5"/);
    expect(html).toMatch(/<th[^>]*data-col="knn"[^>]*aria-sort="descending"/);
    // Sorted by kNN, best first: the CNN run (65%) before DINO (50%).
    expect(html.indexOf('data-run="3"')).toBeLessThan(html.indexOf('data-run="1"'));
    const cnnRow = html.slice(html.indexOf('data-run="3"'), html.indexOf('data-run="1"'));
    expect(cnnRow).toMatch(/data-col="jaccard" class="[^"]*"><span class="results__value">–<\/span>/);
  });

  it('lists runs not evaluated yet under the table', () => {
    expect(render({ rows: buildRows([cnn]), pending: ['Run 2'] })).toContain('Not evaluated yet: Run 2.');
  });
});
