import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Finished study cells on disk, one JSON file each, named by a hash of everything that decides
 * the result (the kind of cell, the method, every setting value, the backend, the evaluation
 * sizes, and STUDY_VERSION): an interrupted or piecewise study picks up what is done, and a
 * changed setting never reuses a stale number.
 */
export const STUDY_VERSION = 1;

export function cacheKey(parts: Record<string, unknown>): string {
  const canonical = JSON.stringify({ version: STUDY_VERSION, ...parts }, (_, value) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : value);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 20);
}

export class StudyCache {
  constructor(private readonly dir: string) {}

  private path(kind: string, key: string): string {
    return join(this.dir, `${kind}-${key}.json`);
  }

  get<T>(kind: string, key: string): T | null {
    const path = this.path(kind, key);
    if (!existsSync(path)) return null;
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch {
      return null; // a torn write from an interrupted run: computed again
    }
  }

  /** Written to a temporary name first, then renamed: a killed study leaves no half file. */
  set(kind: string, key: string, value: unknown): void {
    mkdirSync(this.dir, { recursive: true });
    const path = this.path(kind, key);
    writeFileSync(`${path}.tmp`, JSON.stringify(value, null, 1));
    renameSync(`${path}.tmp`, path);
  }
}
