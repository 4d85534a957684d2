/// <reference types="vite/client" />
/**
 * The train.py sources for the page (Vite inlines every ./python/*.py as text); the CLI and the
 * tests read the same files with node:fs (readTrainSources in sourceFiles.ts).
 */
import { PYTHON_PARTS, type TrainSources } from './project';

const files = import.meta.glob<string>('./python/*.py', { query: '?raw', import: 'default', eager: true });

export const TRAIN_SOURCES = Object.fromEntries(PYTHON_PARTS.map((part) => [part, files[`./python/${part}.py`]])) as TrainSources;
