import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The slow files train on tfjs's single-threaded cpu backend: one per core. (vitest's
    // default leaves a core free, which on a 2-core machine runs them one after another.)
    maxWorkers: Math.max(2, availableParallelism()),
  },
});
