/**
 * The server alone in its own process, for its memory with many open streams: every run is a
 * scripted stream (a chunk every 200 ms until the client leaves), so no CLI process is involved.
 * Prints its URL; answers each `rss` line on stdin with its resident memory in bytes, after a
 * garbage collection (run with --expose-gc).
 */
import { createInterface } from 'node:readline'
import { startServer } from '../../src/runtime/node.js'
import { createFakeRunner } from '../../test/helpers/fake-runner.js'

const { runner } = createFakeRunner(async function* (_request, options) {
  yield { type: 'started' }
  while (!options.signal?.aborted) {
    yield { type: 'text_delta', text: 'chunk ' }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
})
const server = await startServer({ port: 0, logLevel: 'silent', runner, heartbeatMs: 15_000 })
console.log(server.url)
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'rss') {
    ;(globalThis as { gc?: () => void }).gc?.()
    console.log(process.memoryUsage().rss)
  }
}
await server.close()
