/**
 * The train.py sources for the page (Vite inlines them as text); the CLI and the tests read
 * the same files from ./python with node:fs.
 */
import lineage from './python/lineage.py?raw';

export const TRAIN_SOURCES: Record<'lineage', string> = { lineage };
