import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

const report = process.env.CI_REPORT_DIR

// The edge front door inside the real workerd runtime, forwarding to a runner host on 127.0.0.1
// (started by the global setup, in Node) that drives the real CLI against the mock API.
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './deploy/cloudflare/wrangler.jsonc' },
      miniflare: {
        bindings: {
          RUNNER_URLS: inject('runnerUrl'),
          RUNNER_TOKEN: 'runner-token-for-tests',
          API_KEY_HASHES: `${inject('keyHash')}:edge`,
          LOG_LEVEL: 'silent',
        },
      },
    })),
  ],
  test: {
    include: ['test/worker/**/*.test.ts'],
    reporters: report
      ? ['default', ['json', { outputFile: `${report}/worker.json` }]]
      : ['default'],
    globalSetup: ['test/worker/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
