/**
 * "Graduate an experiment": a run's method, settings and weights as a small PyTorch project —
 * train.py (one readable file per method family, in ./python), config.json (the experiment and
 * the link it came from), README.md and, when exported from a run, weights.safetensors. Plain
 * data in, file contents out: the page zips them (fflate), the CLI writes a folder.
 */
import { findMethod } from '../methods/registry';
import type { SettingValues } from '../methods/schema';
import { encodeSafetensors, type NamedArrays } from './safetensors';
import { shapesTensors } from './shapesData';

/**
 * Each exported method's family: its train.py is python/<family>.py. To export another method,
 * add it here (and its source, see docs/ARCHITECTURE.md).
 */
export const EXPORT_FAMILIES = {
  simclr: 'lineage', moco: 'lineage', byol: 'lineage', simsiam: 'lineage', dino: 'dino', dep: 'dep',
  dreamteacher: 'dreamteacher',
  itpn: 'itpn',
  loca: 'loca',
} as const satisfies Record<string, string>;
export type ExportFamily = (typeof EXPORT_FAMILIES)[keyof typeof EXPORT_FAMILIES];
export const EXPORT_FAMILY_NAMES: readonly ExportFamily[] = [...new Set(Object.values(EXPORT_FAMILIES))];
export function exportFamily(methodId: string): ExportFamily | undefined {
  return (EXPORT_FAMILIES as Record<string, ExportFamily>)[methodId];
}
/**
 * The Python sources: one per family, and the parts they share — python/common.py (imports,
 * safetensors, the distributed helpers, the schedule, data, the training loop, the parity
 * steps, log, checkpoints), python/vit.py and python/unet.py — inserted at their `# {{COMMON}}`,
 * `# {{VIT}}` and `# {{UNET}}` lines, so each project's train.py is one file.
 */
export type TrainSources = Record<ExportFamily | 'common' | 'vit' | 'unet', string>;
export const PYTHON_PARTS: readonly (keyof TrainSources)[] = [...EXPORT_FAMILY_NAMES, 'common', 'vit', 'unet'];

/** A family's train.py, whole: its shared parts inserted. */
export function trainScript(family: ExportFamily, sources: TrainSources): string {
  return sources[family].replace('# {{COMMON}}\n', sources.common).replace('# {{VIT}}\n', sources.vit).replace('# {{UNET}}\n', sources.unet);
}

export interface ExportRequest {
  methodId: string;
  values: SettingValues;
  /** The app link of the experiment (config.json keeps it, train.py's checkpoints too). */
  link: string;
  /** Steps the weights have trained (0: none). */
  step: number;
  weights: NamedArrays | null;
}

/** Why this experiment cannot be exported yet, or null when it can. */
export function exportProblem(methodId: string, values: SettingValues): string | null {
  const method = findMethod(methodId);
  if (!method) return `There is no method "${methodId}".`;
  if (!exportFamily(methodId)) {
    const covered = Object.keys(EXPORT_FAMILIES).map((id) => findMethod(id)?.title ?? id);
    return `The PyTorch export covers ${covered.slice(0, -1).join(', ')} and ${covered.at(-1)} so far; ${method.title} is not exported yet.`;
  }
  // What the app refuses to train (a queue without its momentum encoder, a head count that does
  // not divide the width, …) is not exported either, with the app's own message.
  const invalid = method.validate(values);
  if (invalid.length > 0) return invalid[0];
  if (methodId === 'dreamteacher' && values.mseLoss === false && values.attentionLoss === false) return 'DreamTeacher needs feature regression, attention transfer or both: with neither the student learns nothing.';
  return null;
}

/** The shapes' class names, index = label (engine/data/shapes.ts), kept in shapes.safetensors. */
const SHAPE_CLASS_NAMES = 'circle,square,triangle,star,cross,ring,diamond,heart,crescent,arrow';

/** `sources`: the text of each family's train.py (the page gets them from Vite, Node from node:fs). */
export function buildProject(request: ExportRequest, sources: TrainSources): Record<string, string | Uint8Array> {
  const problem = exportProblem(request.methodId, request.values);
  if (problem) throw new Error(problem);
  const trainSource = trainScript(exportFamily(request.methodId)!, sources);
  const method = findMethod(request.methodId)!;
  const title = `${method.title} (${method.paper.authors}, ${method.paper.year})`;
  const config = {
    format: 'ssl-playground-pytorch', version: 1, methodId: request.methodId, title: method.title,
    link: request.link, step: request.weights ? request.step : 0, values: request.values,
  };
  const files: Record<string, string | Uint8Array> = {
    'train.py': trainSource.replace('{{TITLE}}', title),
    'config.json': `${JSON.stringify(config, null, 2)}\n`,
    'README.md': readme(method.title, request),
  };
  if (request.weights) files['weights.safetensors'] = encodeSafetensors(request.weights, { step: String(request.step), link: request.link });
  const shapes = shapesTensors(request.values);
  if (shapes) files['shapes.safetensors'] = encodeSafetensors(shapes, { classes: SHAPE_CLASS_NAMES });
  return files;
}

/**
 * The batch a method's learning rate is given for (peak = lr × global batch / this), as the app
 * and train.py apply it: 256 for most (the papers' linear rule), 1024 for LOCA (scenic's), none
 * for the methods that use it as given.
 */
const LR_REFERENCE_BATCH: Record<string, number | null> = { dep: null, dreamteacher: null, itpn: null, loca: 1024 };

function readme(title: string, request: ExportRequest): string {
  const batch = Number(request.values.batchSize);
  const lr = Number(request.values.learningRate);
  const reference = request.methodId in LR_REFERENCE_BATCH ? LR_REFERENCE_BATCH[request.methodId] : 256;
  const rule = reference === null
    ? `  split over the processes. The learning rate (${lr}) is used as given, as in the app: it is not scaled by the batch.`
    : `  split over the processes. The learning rate follows the
  paper's rule, peak = lr × global batch / ${reference} (here ${lr} × ${batch} / ${reference} = ${(lr * batch / reference).toPrecision(3)}),
  after a linear warm-up, then a cosine.`;
  return `# ${title}, exported from SSL Playground

The experiment of [this link](${request.link}) as a PyTorch project: the same method, settings
and ${request.weights ? `weights (after ${request.step} steps in the browser)` : 'initialisers (no weights: it was exported before training)'}.
It needs only \`torch\` and \`torchvision\` (1.13 or later).

\`\`\`sh
python train.py --data DIR                        # one GPU, or the CPU
torchrun --nproc_per_node=4 train.py --data DIR   # DistributedDataParallel: NCCL on CUDA, gloo on CPU
python train.py --data DIR --steps 5000 --batch-size 256 --out runs/a
python train.py --data DIR --out runs/a --resume  # continue from runs/a/last.safetensors
\`\`\`

With torch 1.13 on Python 3.11 (Debian 12's packages) torchrun cannot parse its own default
\`--redirects\`: add \`--redirects 1 --tee 1\` after \`--nproc_per_node\`.

- \`--data\`: an ImageFolder tree (one folder per class; the labels are used only by a supervised
  stage, DDeP's), or
  \`shapes\`: the run's own training images, in \`shapes.safetensors\` (when the run trained on
  the built-in shapes), so this project trains on exactly the images the browser did.
- \`--batch-size\` is the global batch,
${rule} Any BatchNorm uses the global batch's statistics.
- Rank 0 prints one JSON object per logged step (\`step\`, \`loss\`, \`learningRate\`, …), the
  names \`npm run train\` uses, and writes \`--out/last.safetensors\` every \`--checkpoint-every\` steps.
- \`config.json\` is the experiment; \`weights.safetensors\` (when present) the browser's weights
  under their browser names, so training continues where the browser stopped.

Augmentations use torchvision with the app's settings: the same distributions, not the same
random numbers. The app's parity test runs one step of this file on views the browser drew and
finds the browser's loss and weights.
`;
}
