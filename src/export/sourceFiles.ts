/** The train.py sources read from disk (Node: the CLI and the tests). */
import { readFileSync } from 'node:fs';
import { PYTHON_PARTS, type TrainSources } from './project';

export function readTrainSources(): TrainSources {
  return Object.fromEntries(PYTHON_PARTS.map((part) => [part, readFileSync(new URL(`./python/${part}.py`, import.meta.url), 'utf8')])) as TrainSources;
}
