/**
 * Streaming costs: the server's memory with 100 open streams (the server in a process of its
 * own, so the figure is its alone), and the delay a chunk takes from the CLI's stdout line to
 * the client (a scripted CLI stamps each line with the time it wrote it).
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { readSseData } from '../../src/lib/sse-read.js'
import { startServer } from '../../src/runtime/node.js'
import { cliEnv, FAKE_CLAUDE } from '../../test/helpers/cli-env.js'
import { percentile } from './measure.js'

const openStream = async (url: string, signal: AbortSignal) => {
  const res = await fetch(`${url}/llm/chat/stream`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'stream' }),
    signal,
  })
  return readSseData(res.body as ReadableStream<Uint8Array>)
}

export const rssWithOpenStreams = async (count: number) => {
  const script = fileURLToPath(new URL('./stream-server.ts', import.meta.url))
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async () => String((await lines.next()).value)
  const url = await next()
  const rss = async () => {
    child.stdin.write('rss\n')
    return Number(await next()) / 2 ** 20
  }
  const client = new AbortController()
  try {
    const idle = await rss()
    const streams = await Promise.all(
      Array.from({ length: count }, () => openStream(url, client.signal))
    )
    // Every stream has delivered its first chunk, then keeps them coming while memory is read.
    await Promise.all(streams.map((s) => s.next()))
    const reading = streams.map(async (s) => {
      for await (const _ of s);
    })
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    const open = await rss()
    client.abort()
    await Promise.allSettled(reading)
    return { idle, open }
  } finally {
    child.stdin.end()
    await new Promise((resolve) => child.once('close', resolve))
  }
}

/** Milliseconds from each CLI line's stamp to its arrival at the client. */
export const chunkDelays = async (home: string, streams: number, chunks: number) => {
  const server = await startServer({
    port: 0,
    logLevel: 'silent',
    runnerOptions: {
      binary: FAKE_CLAUDE,
      env: cliEnv(home, undefined, {
        FAKE_CLAUDE_MODE: 'stream',
        FAKE_CLAUDE_CHUNKS: String(chunks),
        FAKE_CLAUDE_INTERVAL_MS: '5',
      }),
    },
  })
  const delays: number[] = []
  try {
    await Promise.all(
      Array.from({ length: streams }, async () => {
        for await (const data of await openStream(server.url, new AbortController().signal)) {
          const now = performance.timeOrigin + performance.now()
          const event = JSON.parse(data)
          if (event.type !== 'chunk') continue
          for (const [, stamp] of String(event.text).matchAll(/@([\d.]+)@/g)) {
            delays.push(now - Number(stamp))
          }
        }
      })
    )
  } finally {
    await server.close()
  }
  if (delays.length !== streams * chunks) {
    throw new Error(`expected ${streams * chunks} chunks, got ${delays.length}`)
  }
  return { p50: percentile(delays, 50), p99: percentile(delays, 99), count: delays.length }
}
