/** Overhead of the HTTP layer: /llm/chat over a real socket with an instant in-memory runner. */

import { createFakeRunner } from '../../dev-tools/fake-runner.js'
import { startServer } from '../../src/runtime/node/entry.js'
import { load, percentile } from './measure.js'

export const httpOverhead = async () => {
  const { runner } = createFakeRunner()
  const server = await startServer({ port: 0, logLevel: 'silent', runner })
  const send = async () => {
    const res = await fetch(`${server.url}/llm/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'hi' }),
    })
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`status ${res.status}`)
  }
  try {
    await load(send, 200, 10) // warm-up
    // Client and server share this process and its cores, so latency is measured one request
    // at a time and throughput with 20 in flight.
    const p95 = percentile((await load(send, 1_000, 1)).latencies, 95)
    const loaded = await load(send, 3_000, 20)
    return { p95, rps: loaded.latencies.length / (loaded.ms / 1000) }
  } finally {
    await server.close()
  }
}
