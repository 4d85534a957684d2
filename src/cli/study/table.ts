/**
 * The study's summary: mean, standard deviation and standard error over seeds for every score,
 * the markdown table, and the learning targets each row is held to.
 */
import type { CellResult, CellScores } from './cell';

export interface Stat {
  mean: number;
  std: number;
  /** Standard error of the mean over seeds (std / √seeds). */
  se: number;
  n: number;
}

export function stat(values: readonly number[]): Stat | null {
  const finite = values.filter((v) => Number.isFinite(v));
  const n = finite.length;
  if (n === 0) return null;
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  const std = Math.sqrt(variance);
  return { mean, std, se: std / Math.sqrt(n), n };
}

export interface RowSummary {
  id: string;
  preset: string;
  seeds: number[];
  /** Per score ("knn", "linear", "fineTune1", …) and network ("raw", "untrained", "trained", "supervised"). */
  scores: Record<string, Record<string, Stat | null>>;
  trainSeconds: Stat | null;
  msPerStep: Stat | null;
  steps: number;
  targets: TargetCheck[];
}

export interface TargetCheck {
  what: string;
  /** The margin reached (mean) and the margin asked for. */
  value: number;
  needed: number;
  met: boolean;
}

type Network = 'raw' | 'untrained' | 'trained' | 'supervised';

/** Flattens one network's scores into named numbers (fractions expanded as 1 % and 10 %). */
export function flatScores(scores: CellScores | null | undefined): Record<string, number> {
  if (!scores) return {};
  const out: Record<string, number> = { knn: scores.knn, linear: scores.linear };
  scores.segmentation?.forEach((v, i) => (out[`seg${i === 0 ? 1 : 10}`] = v));
  scores.fineTune?.forEach((v, i) => (out[`fineTune${i === 0 ? 1 : 10}`] = v));
  if (scores.jaccard !== undefined) out.jaccard = scores.jaccard;
  if (scores.position !== undefined) out.position = scores.position;
  return out;
}

export const SCORE_LABELS: Record<string, string> = {
  knn: 'kNN', linear: 'linear', seg1: 'seg probe 1%', seg10: 'seg probe 10%', fineTune1: 'fine-tune 1%',
  fineTune10: 'fine-tune 10%', jaccard: 'attention Jaccard', position: 'position acc. (η=0)',
};

/** The learning targets of each row (the issue's bar), as margins over a baseline. */
function targetsFor(id: string, get: (score: string, network: Network) => number | undefined): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const margin = (what: string, score: string, over: Network, needed: number) => {
    const a = get(score, 'trained');
    const b = get(score, over);
    if (a === undefined || b === undefined) return;
    checks.push({ what, value: a - b, needed, met: a - b >= needed });
  };
  const embedding = ['dino', 'loca', 'simclr', 'moco', 'byol', 'simsiam', 'dreamteacher'];
  if (embedding.includes(id)) {
    margin('kNN − untrained', 'knn', 'untrained', 0.2);
    margin('kNN − raw pixels', 'knn', 'raw', 0.1);
    margin('linear − untrained', 'linear', 'untrained', 0.15);
  }
  if (id === 'itpn' || id === 'mae') {
    margin('linear − untrained', 'linear', 'untrained', 0.1);
    margin('fine-tune 10% − random init', 'fineTune10', 'untrained', 0);
  }
  if (id === 'dep' || id === 'ddep' || id === 'dreamteacher') margin('fine-tune 1% − random init', 'fineTune1', 'untrained', 0.05);
  if (id === 'dino') margin('Jaccard − untrained', 'jaccard', 'untrained', 0.1);
  if (id === 'loca') {
    const p = get('position', 'trained');
    if (p !== undefined) checks.push({ what: 'position accuracy (η = 0)', value: p, needed: 0.5, met: p >= 0.5 });
  }
  return checks;
}

export interface RowInput {
  id: string;
  preset: string;
  cells: CellResult[];
  raw: (CellScores | null)[];
  supervised: (CellScores | null)[];
}

export function summarise(row: RowInput): RowSummary {
  const perNetwork: Record<Network, Record<string, number>[]> = {
    raw: row.raw.map(flatScores),
    untrained: row.cells.map((c) => flatScores(c.untrained)),
    trained: row.cells.map((c) => flatScores(c.trained)),
    supervised: row.supervised.map(flatScores),
  };
  const names = new Set<string>();
  for (const list of Object.values(perNetwork)) for (const s of list) Object.keys(s).forEach((k) => names.add(k));
  const scores: RowSummary['scores'] = {};
  for (const name of Object.keys(SCORE_LABELS).filter((k) => names.has(k))) {
    scores[name] = {};
    for (const network of Object.keys(perNetwork) as Network[]) {
      const values = perNetwork[network].map((s) => s[name]).filter((v) => v !== undefined);
      scores[name][network] = values.length > 0 ? stat(values) : null;
    }
  }
  return {
    id: row.id, preset: row.preset, seeds: row.cells.map((c) => c.seed), scores,
    trainSeconds: stat(row.cells.map((c) => c.trainSeconds)),
    msPerStep: stat(row.cells.map((c) => c.msPerStep)),
    steps: row.cells[0]?.steps ?? 0,
    targets: targetsFor(row.id, (score, network) => scores[score]?.[network]?.mean),
  };
}

const fmt = (s: Stat | null | undefined) => (s ? `${s.mean.toFixed(3)} ± ${s.se.toFixed(3)}` : '—');

/** One markdown table: a line per method and score, the four networks side by side. */
export function markdownTable(rows: readonly RowSummary[]): string {
  const lines = [
    '| method | score | raw pixels | untrained | trained (SSL) | supervised | trained − untrained |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    Object.entries(row.scores).forEach(([name, s], i) => {
      const gain = s.trained && s.untrained ? (s.trained.mean - s.untrained.mean) : null;
      const seeds = row.seeds.length === 1 ? `seed ${row.seeds[0]}` : `seeds ${row.seeds.join(',')}`;
      const label = i === 0 ? `**${row.id}** (${seeds}; ${row.steps} steps, ${row.trainSeconds ? row.trainSeconds.mean.toFixed(0) : '?'} s, ${row.msPerStep ? row.msPerStep.mean.toFixed(0) : '?'} ms/step)` : '';
      lines.push(`| ${label} | ${SCORE_LABELS[name]} | ${fmt(s.raw)} | ${fmt(s.untrained)} | ${fmt(s.trained)} | ${fmt(s.supervised)} | ${gain === null ? '—' : `${gain >= 0 ? '+' : ''}${gain.toFixed(3)}`} |`);
    });
  }
  lines.push('', 'Mean ± standard error over seeds. Targets (mean margin reached / asked):', '');
  for (const row of rows) {
    for (const t of row.targets) {
      lines.push(`- ${row.id}: ${t.what} = ${t.value >= 0 && !t.what.startsWith('position') ? '+' : ''}${t.value.toFixed(3)} (target ${t.what.startsWith('position') ? '≥' : '≥ +'}${t.needed.toFixed(2)}) ${t.met ? 'met' : 'NOT met'}`);
    }
  }
  return lines.join('\n');
}
