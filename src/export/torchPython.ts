/**
 * Finds a Python with torch for the export's tests (Node only). CI installs Debian's
 * python3-torch (1.13.1) with apt, so /usr/bin/python3 has it there; SSL_PYTHON overrides.
 */
import { spawnSync } from 'node:child_process';

let found: string | null | undefined;

export function torchPython(): string | null {
  if (found !== undefined) return found;
  const candidates = [process.env.SSL_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => Boolean(c));
  found = candidates.find((python) => spawnSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0) ?? null;
  return found;
}

/** In CI a missing torch is a failure, not a skip: the export's tests must run there. */
export function requireTorchInCi(): void {
  if (!torchPython() && process.env.CI) throw new Error('CI has no python3 with torch: .ci/run installs python3-torch and python3-torchvision with apt');
}
