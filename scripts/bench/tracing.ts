/**
 * What tracing costs: the same requests with tracing off (the default) and on (OTLP/HTTP,
 * protobuf, to a receiver on loopback), side by side. The HTTP layer with an instant runner, one
 * request at a time and 20 in flight; and `/llm/chat` through the real CLI, alternating between
 * the two servers at a person's pace. With tracing on, the CLI exports its own spans too (through
 * the server's relay), so that side pays for both.
 */
import { join } from 'node:path'
import { cliEnv } from '../../dev-tools/cli-env.js'
import { createFakeRunner } from '../../dev-tools/fake-runner.js'
import { startOtlpReceiver } from '../../dev-tools/otlp-receiver/server.js'
import { type RunningServer, startServer } from '../../src/runtime/node/entry.js'
import { load, percentile, sleep } from './measure.js'

const ROUNDS = 12

const post = async (server: RunningServer, prompt: string) => {
  const started = performance.now()
  const res = await fetch(`${server.url}/llm/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt }),
  })
  await res.arrayBuffer()
  if (res.status !== 200) throw new Error(`status ${res.status}`)
  return performance.now() - started
}

export type TracingResult = {
  http: {
    off: { p50: number; p95: number; rps: number }
    on: { p50: number; p95: number; rps: number }
  }
  chat: { off: number; on: number; rounds: number }
  spans: number
}

export const tracingCost = async (home: string, mockUrl: string): Promise<TracingResult> => {
  const receiver = await startOtlpReceiver()
  const otelEnv = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
  }
  try {
    // The HTTP layer.
    const { runner } = createFakeRunner()
    const fast = {
      off: await startServer({ port: 0, logLevel: 'silent', runner, otelEnv: {} }),
      on: await startServer({ port: 0, logLevel: 'silent', runner, otelEnv }),
    }
    const http = { off: { p50: 0, p95: 0, rps: 0 }, on: { p50: 0, p95: 0, rps: 0 } }
    try {
      const latencies = { off: [] as number[], on: [] as number[] }
      for (const side of ['off', 'on'] as const)
        await load(async () => void (await post(fast[side], 'hi')), 200, 10)
      // Blocks of 100, alternating, so both sides see the same machine.
      for (let block = 0; block < 10; block++) {
        for (const side of block % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
          latencies[side].push(
            ...(await load(async () => void (await post(fast[side], 'hi')), 100, 1)).latencies
          )
        }
      }
      for (const side of ['off', 'on'] as const) {
        const loaded = await load(async () => void (await post(fast[side], 'hi')), 3_000, 20)
        http[side] = {
          p50: percentile(latencies[side], 50),
          p95: percentile(latencies[side], 95),
          rps: loaded.latencies.length / (loaded.ms / 1000),
        }
      }
    } finally {
      await Promise.all([fast.off.close(), fast.on.close()])
    }

    // Through the real CLI, with the server's defaults (processes started ahead, reused).
    const cli = (side: string, env?: Record<string, string>) =>
      startServer({
        port: 0,
        logLevel: 'silent',
        workDir: join(home, side),
        otelEnv: env ?? {},
        // The server's defaults (`serve`): processes started ahead, conversations held.
        warmProcesses: 2,
        heldConversations: 4,
        runnerOptions: { env: cliEnv(join(home, side), mockUrl) },
      })
    const servers = { off: await cli('off'), on: await cli('on', otelEnv) }
    const times = { off: [] as number[], on: [] as number[] }
    try {
      await post(servers.off, 'warm-up')
      await post(servers.on, 'warm-up')
      for (let i = 0; i < ROUNDS; i++) {
        for (const side of i % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
          await sleep(1_000)
          times[side].push(await post(servers[side], `bench ${i}`))
        }
      }
    } finally {
      await Promise.all([servers.off.close(), servers.on.close()])
    }
    return {
      http,
      chat: { off: percentile(times.off, 50), on: percentile(times.on, 50), rounds: ROUNDS },
      spans: receiver.spans.length,
    }
  } finally {
    await receiver.close()
  }
}

const ms = (value: number) => `${value < 10 ? value.toFixed(2) : Math.round(value)} ms`

export const tracingSection = (result: TracingResult) => [
  '## Tracing off and on',
  '',
  'The same requests to two servers side by side: tracing off (no `OTEL_*` endpoint, the default)',
  'and on (OTLP/HTTP protobuf to a receiver on loopback, every span sampled). With tracing on the',
  `CLI exports its own spans too, through the server's relay (${result.spans} spans arrived in all).`,
  '',
  '| | off | on | on ÷ off |',
  '|---|---|---|---|',
  `| HTTP layer p50, one at a time (instant runner) | ${ms(result.http.off.p50)} | ${ms(result.http.on.p50)} | ${(result.http.on.p50 / result.http.off.p50).toFixed(2)} |`,
  `| HTTP layer p95, one at a time | ${ms(result.http.off.p95)} | ${ms(result.http.on.p95)} | ${(result.http.on.p95 / result.http.off.p95).toFixed(2)} |`,
  `| HTTP layer throughput, 20 in flight | ${Math.round(result.http.off.rps)} req/s | ${Math.round(result.http.on.rps)} req/s | ${(result.http.on.rps / result.http.off.rps).toFixed(2)} |`,
  `| \`/llm/chat\` through the real CLI, p50 of ${result.chat.rounds} | ${ms(result.chat.off)} | ${ms(result.chat.on)} | ${(result.chat.on / result.chat.off).toFixed(2)} |`,
  '',
]
