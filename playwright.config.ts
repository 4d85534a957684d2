import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests in the system's Chromium (Playwright cannot download its own browser
 * here). WebGPU comes from SwiftShader, Chromium's CPU implementation, so specs train the
 * `tiny` preset for a few steps only.
 */
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const port = Number(process.env.E2E_PORT ?? 4173);
const baseArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
const webgpuArgs = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

export default defineConfig({
  testDir: 'e2e',
  timeout: 360_000,
  expect: { timeout: 120_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://localhost:${port}`,
    viewport: { width: 1400, height: 1000 },
  },
  projects: [
    {
      name: 'webgpu',
      testIgnore: /fallback/,
      use: { launchOptions: { executablePath: chromium, args: [...baseArgs, ...webgpuArgs] } },
    },
    {
      // Chromium without the WebGPU flags: the app must say so and train on WebGL.
      name: 'no-webgpu',
      testMatch: /fallback/,
      use: { launchOptions: { executablePath: chromium, args: baseArgs } },
    },
  ],
  webServer: {
    // The production build, served as a visitor gets it.
    command: `npx vite build --logLevel error && npx vite preview --port ${port} --strictPort`,
    url: `http://localhost:${port}`,
    reuseExistingServer: !process.env.CI,
    timeout: 180_000,
  },
});
