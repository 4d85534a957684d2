/**
 * The train.py sources for the page (Vite inlines them as text); the CLI and the tests read
 * the same files from ./python with node:fs (readTrainSources in sourceFiles.ts).
 */
import dep from './python/dep.py?raw';
import dino from './python/dino.py?raw';
import lineage from './python/lineage.py?raw';
import type { ExportFamily } from './project';

export const TRAIN_SOURCES: Record<ExportFamily, string> = { lineage, dino, dep };
