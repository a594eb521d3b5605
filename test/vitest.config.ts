import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    // lab and molecule tests build real hosts; run files one at a time so 2 cores suffice
    fileParallelism: false,
    reporters: ['default'],
  },
});
