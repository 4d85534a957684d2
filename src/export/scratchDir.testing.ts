/**
 * Folders for the tests' exported projects, removed after the test file that made them: each
 * parity case writes a train.py, weights and a log, and the export tests a 6 MB copy of the
 * shapes, so leaving them behind fills a machine's /tmp over many runs. Set SSL_KEEP_SCRATCH=1
 * to keep them (to rerun a failing train.py by hand).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

// Registered while the importing test file is collected (vitest evaluates each file's modules
// afresh), so it runs after that file's last test. A process 'exit' handler would not: vitest
// ends its workers with a signal.
afterAll(() => {
  if (!process.env.SSL_KEEP_SCRATCH) for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder under the OS temp dir, named `<prefix>XXXXXX`, removed after the test file. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
