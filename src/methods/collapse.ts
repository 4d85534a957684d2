/**
 * Collapse: the curves that show it, the modes a run can fall into, and an incremental
 * detector over the stream of metrics records. Plain data and pure functions: the page, the
 * CLI and the tests share them, and each method lists its own modes and charts.
 */
import type { SettingValues } from './schema';
import { PALETTE } from './palette';

/** A horizontal line on a chart: a value to compare against (chance, ln K, a uniform entropy). */
export interface ReferenceLine {
  value: number;
  label: string;
}

export interface ChartLine {
  /** Metric name as reported by the trainer (MetricsRecord.values). */
  name: string;
  label: string;
  color: string;
}

/** A step where a run's next stage begins (DreamTeacher's distillation, DDeP's denoising). */
export interface StageMark {
  step: number;
  label: string;
}

/** One chart of the run's metrics. */
export interface ChartSpec {
  id: string;
  title: string;
  /** One line saying what the curve means; shown under the title and on hover. */
  help: string;
  lines: ChartLine[];
  references?: ReferenceLine[];
  logY?: boolean;
  /** `training`: next to the run controls; `collapse`: in the collapse panel. */
  section: 'training' | 'collapse';
  /** false: left out of the CLI's summary table (schedules, which say nothing of the run). */
  summary?: boolean;
  /** The y axis's label (with its unit); the title when absent. */
  yLabel?: string;
  /** Steps where a stage of the method begins, marked on the chart. */
  stages?: StageMark[];
  /** Shown while the chart has no points, when its lines start late ("starts at step 201, after the teacher stage"). */
  waiting?: string;
}

export interface CollapseMode {
  id: string;
  /** "Uniform collapse". */
  label: string;
  /** What the curves do in this mode. */
  symptom: string;
  /** The mechanism that usually prevents it, in a sentence. */
  prevention: string;
  /** True when one metrics record shows the mode. Missing metrics must give false. */
  test(values: Readonly<Record<string, number>>, settings: SettingValues): boolean;
}

/** Collapse of the representation itself, for every method. */
export const representationCollapse: CollapseMode = {
  id: 'representation',
  label: 'Representation collapse',
  symptom: 'every image maps to (nearly) the same embedding: std × √D near 0, RankMe near 1',
  prevention:
    'Something must stop the trivial constant solution: negatives (SimCLR, MoCo), a momentum teacher or ' +
    'stop-gradient with a predictor (BYOL, SimSiam), or centering with sharpening (DINO).',
  test: (v) => v.embeddingStd < 0.1 || (v.rankMe !== undefined && v.rankMe < 1.5),
};

/** Charts every method gets in its collapse panel. */
export function commonCollapseCharts(embeddingRows: number, embeddingDim: number): ChartSpec[] {
  return [
    {
      id: 'embedding-std', title: 'Embedding std', section: 'collapse', yLabel: 'std × √D',
      help: 'Std of L2-normalised embeddings across the batch, × √D: about 1 when spread over the sphere, 0 when every image gets the same embedding.',
      lines: [{ name: 'embeddingStd', label: 'std × √D', color: PALETTE.teal }],
      references: [{ value: 1, label: 'healthy (1)' }, { value: 0, label: 'collapsed (0)' }],
    },
    {
      id: 'rankme', title: 'Effective rank (RankMe)', section: 'collapse', yLabel: 'effective rank',
      help: `exp(entropy of the normalised singular values) of the batch's embeddings: how many directions they really use, from 1 (collapsed) to min(N, D) = ${Math.min(embeddingRows, embeddingDim)}.`,
      lines: [{ name: 'rankMe', label: 'RankMe', color: PALETTE.indigo }],
      references: [{ value: Math.min(embeddingRows, embeddingDim), label: 'min(N, D)' }, { value: 1, label: 'one direction' }],
    },
  ];
}

/** Every mode a method's runs are checked for: its own, then representation collapse. */
export function collapseModesOf(method: { collapseModes: readonly CollapseMode[] }): CollapseMode[] {
  return [...method.collapseModes, representationCollapse];
}

/** A stretch of records in one mode. */
export interface CollapseEpisode {
  mode: string;
  /** Step of the first record of the stretch. */
  since: number;
  /** Step of the first healthy record after it; null while it lasts. */
  until: number | null;
}

export interface DetectorState {
  /** Records in a row that showed each mode, and where that row began. */
  streaks: Record<string, { count: number; since: number }>;
  /** Records in a row without the active mode. */
  healthyStreak: number;
  healthySince: number;
  active: CollapseEpisode | null;
  episodes: CollapseEpisode[];
}

/** Records in a row needed to enter a mode (and to leave it): one noisy window is not a verdict. */
export const SUSTAIN = 3;

export const initialDetector = (): DetectorState => ({ streaks: {}, healthyStreak: 0, healthySince: 0, active: null, episodes: [] });

/**
 * Advances the detector by one metrics record; returns a new state (the old one is not
 * touched). A mode becomes active after SUSTAIN records in a row show it (the episode is dated
 * from the first of them); it ends after SUSTAIN records in a row do not. When several modes
 * hold, the first in `modes` wins, also over one already active (the list goes from the most
 * specific mode to the most general).
 */
export function advanceDetector(
  state: DetectorState, step: number, values: Readonly<Record<string, number>>,
  modes: readonly CollapseMode[], settings: SettingValues,
): DetectorState {
  const streaks: DetectorState['streaks'] = {};
  for (const mode of modes) {
    const previous = state.streaks[mode.id];
    if (mode.test(values, settings)) streaks[mode.id] = { count: (previous?.count ?? 0) + 1, since: previous?.since ?? step };
  }
  let { active, healthyStreak, healthySince } = state;
  let episodes = state.episodes;
  if (active) {
    if (streaks[active.mode]) {
      healthyStreak = 0;
    } else {
      if (healthyStreak === 0) healthySince = step;
      healthyStreak += 1;
      if (healthyStreak >= SUSTAIN) {
        const closed = { ...active, until: healthySince };
        episodes = episodes.map((e) => (e === active ? closed : e));
        active = null;
        healthyStreak = 0;
      }
    }
  }
  const entered = modes.find((mode) => (streaks[mode.id]?.count ?? 0) >= SUSTAIN);
  const rank = (id: string) => modes.findIndex((mode) => mode.id === id);
  if (active && entered && rank(entered.id) < rank(active.mode)) {
    // A more specific mode (earlier in the list) now holds too: it names the run better.
    const closed = { ...active, until: step };
    episodes = episodes.map((e) => (e === active ? closed : e));
    active = null;
  }
  if (!active) {
    if (entered) {
      active = { mode: entered.id, since: streaks[entered.id].since, until: null };
      episodes = [...episodes, active];
      healthyStreak = 0;
    }
  }
  return { streaks, healthyStreak, healthySince, active, episodes };
}

/** Runs the detector over a whole stream. */
export function detectCollapse(
  records: readonly { step: number; values: Readonly<Record<string, number>> }[],
  modes: readonly CollapseMode[], settings: SettingValues,
): DetectorState {
  return records.reduce((state, r) => advanceDetector(state, r.step, r.values, modes, settings), initialDetector());
}

/** A teaching comparison: runs that differ in one mechanism, and what to watch. */
export interface Lesson {
  id: string;
  title: string;
  /** Two or three sentences: what to watch, and why it happens. */
  text: string;
  /** The metric the comparison chart opens on. */
  metric: string;
  runs: { name: string; preset: string; values: SettingValues }[];
}
