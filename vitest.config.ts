import { defineConfig } from 'vitest/config'

// CI sets CI_REPORT_DIR to add a JSON report, from which it prints "N passed, N failed".
const report = process.env.CI_REPORT_DIR

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/worker/**', '**/node_modules/**'],
    reporters: report ? ['default', ['json', { outputFile: `${report}/node.json` }]] : ['default'],
    environment: 'node',
    globalSetup: ['test/helpers/build-web-setup.ts'],
    // Real CLI runs are CPU-bound (about 1 s of CPU each); two files at a time suit small machines.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
