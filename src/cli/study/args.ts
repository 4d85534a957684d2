import { methods as METHODS } from '../../methods/registry';
import { UsageError } from '../args';

/**
 * The study's rows: every registered method at its `learn` preset, plus the two variants whose
 * comparison is their paper's point — iTPN's plain-ViT MAE baseline and DeP's DDeP — at
 * `<preset>-mae` and `<preset>-ddep`.
 */
export interface StudyEntry {
  id: string;
  methodId: string;
  /** The preset for `--preset P`: P itself, or P plus the variant's suffix. */
  preset(base: string): string;
}

/** The rows' order (the landing experiment's method first, each variant after its method); unlisted ids go last. */
const STUDY_ORDER = ['simclr', 'moco', 'byol', 'simsiam', 'dino', 'loca', 'dep', 'ddep', 'dreamteacher', 'itpn', 'mae'];

const rank = (id: string) => (STUDY_ORDER.includes(id) ? STUDY_ORDER.indexOf(id) : STUDY_ORDER.length);

export const STUDY_ENTRIES: readonly StudyEntry[] = [
  ...METHODS.map((m) => ({ id: m.id, methodId: m.id, preset: (base: string) => base })),
  { id: 'mae', methodId: 'itpn', preset: (base: string) => `${base}-mae` },
  { id: 'ddep', methodId: 'dep', preset: (base: string) => `${base}-ddep` },
].sort((a, b) => rank(a.id) - rank(b.id));

export interface StudyArgs {
  entries: StudyEntry[];
  seeds: number[];
  preset: string;
  backend: 'cpu' | 'wasm' | 'webgpu';
  out: string | null;
  cacheDir: string;
  jobs: number;
  /** Overrides for every run (setting name or URL key → raw value), e.g. totalSteps. */
  sets: [string, string][];
  /** Skip the raw-pixel and supervised rows. */
  baselines: boolean;
  /** Merge each row's kNN / linear means into this JSON file (the app's reference lines). */
  reference: string | null;
  /** Train nothing: the table of what the cache holds. */
  reportOnly: boolean;
}

export const STUDY_USAGE = `usage: npm run study -- [--methods a,b,...] [--seeds 1,2,3] [--preset learn] [--backend wasm|cpu|webgpu]
         [--out study.json] [--cache DIR] [--jobs N] [--set key=value ...] [--no-baselines] [--reference FILE]

Trains each method x seed with the app's engine and scores it on 1,000 held-out images with a
labelled bank of 2,000 (kNN, linear probe, and per method the segmentation probe, fine-tuning,
attention Jaccard, LOCA's position accuracy), beside raw pixels, the untrained network and a
supervised reference. Prints a markdown table on stdout, progress with an ETA on stderr.

  --methods   rows to run (default: all): ${STUDY_ENTRIES.map((e) => e.id).join(', ')}
  --seeds     comma-separated seeds (default 1,2,3)
  --preset    the preset every method runs (default learn; mae and ddep take learn-mae, learn-ddep)
  --backend   wasm (default: WebAssembly, several times the JS cpu backend), cpu, or webgpu (Dawn)
  --out       also write the results as JSON; an existing file of the same study keeps the rows
              of the methods this run does not measure (a study run piecewise)
  --cache     where each finished cell is kept, so an interrupted study resumes (default .study-cache)
  --jobs      cells trained at once, one process each (default: 2, or 1 on webgpu)
  --set       override a setting in every run (e.g. --set totalSteps=200); the cache key includes it
  --no-baselines  skip raw pixels and the supervised reference
  --report    train nothing: print the table of the cells already in the cache
  --reference merge the rows' kNN and linear means (supervised, untrained, trained) into this JSON
              file; src/methods/learnReference.json is the one the app draws its reference lines from`;

function list(flag: string, raw: string | undefined): string[] {
  if (raw === undefined || raw.startsWith('--')) throw new UsageError(`${flag} needs a value`);
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new UsageError(`${flag} needs at least one value`);
  return items;
}

/** A flag's operand, refused when missing or when it is the next flag. */
function operand(flag: string, value: string | undefined, what: string): string {
  if (!value || value.startsWith('--')) throw new UsageError(`${flag} needs ${what}`);
  return value;
}

export function parseStudyArgs(argv: readonly string[]): StudyArgs {
  const args: StudyArgs = {
    entries: [...STUDY_ENTRIES], seeds: [1, 2, 3], preset: 'learn', backend: 'wasm', out: null,
    cacheDir: '.study-cache', jobs: 0, sets: [], baselines: true, reference: null, reportOnly: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    switch (flag) {
      case '--help': case '-h':
        throw new UsageError('');
      case '--methods': {
        const ids = list(flag, value);
        args.entries = ids.map((id) => {
          const entry = STUDY_ENTRIES.find((e) => e.id === id);
          if (!entry) throw new UsageError(`unknown method "${id}" (known: ${STUDY_ENTRIES.map((e) => e.id).join(', ')})`);
          return entry;
        });
        i++;
        break;
      }
      case '--seeds':
        args.seeds = list(flag, value).map((s) => {
          const seed = Number(s);
          if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seeds takes non-negative integers, got "${s}"`);
          return seed;
        });
        if (new Set(args.seeds).size !== args.seeds.length) throw new UsageError('--seeds lists a seed twice');
        i++;
        break;
      case '--preset':
        args.preset = operand(flag, value, 'a value');
        i++;
        break;
      case '--backend':
        if (value !== 'cpu' && value !== 'wasm' && value !== 'webgpu') throw new UsageError(`--backend must be wasm, cpu or webgpu, got "${value ?? ''}"`);
        args.backend = value;
        i++;
        break;
      case '--out':
        args.out = operand(flag, value, 'a file name');
        i++;
        break;
      case '--cache':
        args.cacheDir = operand(flag, value, 'a folder');
        i++;
        break;
      case '--jobs': {
        const jobs = Number(value);
        if (!Number.isInteger(jobs) || jobs < 1 || jobs > 16) throw new UsageError(`--jobs takes 1 to 16, got "${value ?? ''}"`);
        args.jobs = jobs;
        i++;
        break;
      }
      case '--set': {
        const eq = value?.indexOf('=') ?? -1;
        if (!value || eq <= 0) throw new UsageError(`--set takes key=value, got "${value ?? ''}"`);
        args.sets.push([value.slice(0, eq), value.slice(eq + 1)]);
        i++;
        break;
      }
      case '--reference':
        args.reference = operand(flag, value, 'a file name');
        i++;
        break;
      case '--report':
        args.reportOnly = true;
        break;
      case '--no-baselines':
        args.baselines = false;
        break;
      default:
        throw new UsageError(`unknown flag "${flag}"`);
    }
  }
  if (args.jobs === 0) args.jobs = args.backend === 'webgpu' ? 1 : 2;
  return args;
}
