/**
 * The built server (dist/, what `npm start` in the image runs) alone in its own process, so its
 * memory and timing are its own. `scripted`: every run streams a chunk every 200 ms until the
 * client leaves (no CLI process involved). `cli`: runs go to the CLI named by BENCH_CLAUDE.
 * Prints its URL; answers each `rss` line on stdin with its resident memory in bytes, after a
 * garbage collection (run with --expose-gc).
 */
import { createInterface } from 'node:readline'
import { startServer } from '../../dist/node.js'

const scripted = {
  async *run(_request, options = {}) {
    yield { type: 'started' }
    while (!options.signal?.aborted) {
      yield { type: 'text_delta', text: 'chunk ' }
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  },
  status: async () => {
    throw new Error('unused')
  },
  models: async () => [],
}

const server = await startServer(
  process.argv[2] === 'scripted'
    ? { port: 0, logLevel: 'silent', runner: scripted }
    : {
        port: 0,
        logLevel: 'silent',
        workDir: process.env.BENCH_WORK_DIR,
        runnerOptions: {
          binary: process.env.BENCH_CLAUDE,
          env: process.env,
          passEnv: (process.env.BENCH_PASS_ENV ?? '').split(','),
        },
      }
)
console.log(server.url)
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'rss') {
    globalThis.gc?.()
    console.log(process.memoryUsage().rss)
  }
}
await server.close()
