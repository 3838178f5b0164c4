/**
 * Streaming costs, with the built server in a process of its own and this one as the client:
 * the server's memory with 100 open streams, and the delay a chunk takes from the CLI's stdout
 * line to the client (a scripted CLI stamps each line with the time it wrote it).
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { cliEnv, FAKE_CLAUDE, FAKE_CLAUDE_ENV } from '../../dev-tools/cli-env.js'
import { NativeStreamEvent } from '../../src/contract/native-events.js'
import { readEvents } from '../../src/lib/read-events.js'
import { percentile } from './measure.js'

const openStream = async (url: string, signal?: AbortSignal) => {
  const res = await fetch(`${url}/llm/chat/stream`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'stream' }),
    signal,
  })
  return readEvents(res.body as ReadableStream<Uint8Array>, 'sse', NativeStreamEvent)
}

/** Runs the built server; `use` gets its URL and a way to read its RSS (MiB). */
const withServer = async <T>(
  mode: 'scripted' | 'cli',
  env: Record<string, string>,
  use: (url: string, rss: () => Promise<number>) => Promise<T>
) => {
  const script = fileURLToPath(new URL('./stream-server.mjs', import.meta.url))
  const child = spawn(process.execPath, ['--expose-gc', script, mode], {
    env,
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async () => String((await lines.next()).value)
  try {
    const url = await next()
    return await use(url, async () => {
      child.stdin.write('rss\n')
      return Number(await next()) / 2 ** 20
    })
  } finally {
    child.stdin.end()
    await new Promise((resolve) => child.once('close', resolve))
  }
}

export const rssWithOpenStreams = (count: number) =>
  withServer('scripted', { PATH: process.env.PATH ?? '' }, async (url, rss) => {
    const idle = await rss()
    const client = new AbortController()
    const streams = await Promise.all(
      Array.from({ length: count }, () => openStream(url, client.signal))
    )
    // Every stream has delivered its first chunk, and keeps them coming while memory is read.
    await Promise.all(streams.map((s) => s.next()))
    const reading = streams.map(async (s) => {
      for await (const _ of s);
    })
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    const open = await rss()
    client.abort()
    await Promise.allSettled(reading)
    return { idle, open }
  })

/** Milliseconds from each CLI line's stamp to its arrival at the client. */
export const chunkDelays = (home: string, streams: number, chunks: number) => {
  const env = cliEnv(home, undefined, {
    BENCH_CLAUDE: FAKE_CLAUDE,
    BENCH_WORK_DIR: join(home, 'streams'),
    BENCH_PASS_ENV: FAKE_CLAUDE_ENV.join(','),
    FAKE_CLAUDE_MODE: 'stream',
    FAKE_CLAUDE_CHUNKS: String(chunks),
    FAKE_CLAUDE_INTERVAL_MS: '10',
  })
  return withServer('cli', env, async (url) => {
    const delays: number[] = []
    await Promise.all(
      Array.from({ length: streams }, async () => {
        for await (const event of await openStream(url)) {
          const now = performance.timeOrigin + performance.now()
          if (event.type !== 'chunk') continue
          for (const [, stamp] of String(event.text).matchAll(/@([\d.]+)@/g)) {
            delays.push(now - Number(stamp))
          }
        }
      })
    )
    if (delays.length !== streams * chunks) {
      throw new Error(`expected ${streams * chunks} chunks, got ${delays.length}`)
    }
    return { p50: percentile(delays, 50), p99: percentile(delays, 99), count: delays.length }
  })
}
