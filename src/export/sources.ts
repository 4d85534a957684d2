/**
 * The train.py sources for the page (Vite inlines them as text); the CLI and the tests read
 * the same files from ./python with node:fs (readTrainSources in sourceFiles.ts).
 */
import common from './python/common.py?raw';
import dep from './python/dep.py?raw';
import dino from './python/dino.py?raw';
import lineage from './python/lineage.py?raw';
import type { TrainSources } from './project';
import vit from './python/vit.py?raw';

export const TRAIN_SOURCES: TrainSources = { lineage, dino, dep, common, vit };
