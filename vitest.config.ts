import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Browser and network tests share this machine's two cores: run files one at a time.
    fileParallelism: false,
    // Metrics on a free loopback port in every server a test starts (they print where).
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', VISITWIRE_METRICS_ADDR: '127.0.0.1:0' },
  },
});
