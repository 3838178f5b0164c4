/** What a front door does not take on a runner host's word. */
import { describe, expect, it, vi } from 'vitest'
import { assertPrivateOrHttps, saneResult } from '../../src/adapters/remote/host-checks.js'
import { createRemoteRunner } from '../../src/adapters/remote/remote-runner.js'
import type { RunResult } from '../../src/contract/runner.js'
import { ConfigError } from '../../src/errors/index.js'
import { isPrivateHost } from '../../src/lib/addresses.js'
import { silentLogger } from '../../src/lib/logger.js'
import { HAIKU } from '../helpers/priced-models.js'

describe('runner host addresses', () => {
  it('refuses plain HTTP to a public address, and allows it inside a private network', () => {
    for (const url of ['http://runner.example.com:7743', 'http://203.0.113.7:7743']) {
      expect(() => assertPrivateOrHttps(url), url).toThrow(ConfigError)
      expect(() => createRemoteRunner({ urls: [url] }), url).toThrow(/plain HTTP/)
    }
    for (const url of [
      'https://runner.example.com',
      'http://127.0.0.1:7743',
      'http://10.0.0.5:7743',
      'http://192.168.1.20:7743',
      'http://runner-a:7743',
      'http://runner.internal:7743',
      'http://[fd00::1]:7743',
    ]) {
      expect(() => assertPrivateOrHttps(url), url).not.toThrow()
    }
    expect(isPrivateHost('172.32.0.1')).toBe(false)
    expect(isPrivateHost('172.20.0.1')).toBe(true)
  })
})

/** A haiku run of a million input tokens ($1 at list prices) that reports `totalCostUsd`. */
const result = (totalCostUsd: number): RunResult => ({
  text: 'x',
  sessionId: null,
  model: 'claude-haiku-5-5',
  numTurns: 1,
  totalCostUsd,
  durationMs: 1,
  usage: {
    input_tokens: 1_000_000,
    output_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
  },
  modelUsage: null,
})

describe("a runner host's reported cost", () => {
  const models = [HAIKU]
  const check = (cost: number, known = models) =>
    saneResult(result(cost), known, silentLogger, 'http://runner-a').totalCostUsd

  it('is kept when the tokens explain it', () => {
    expect(check(1)).toBe(1)
    expect(check(0.6)).toBe(0.6)
  })

  it('is replaced by the estimate when it is far too low, or more than the dearest tier', () => {
    expect(check(0)).toBeCloseTo(1)
    expect(check(1_000)).toBeCloseTo(1)
    // Prices unknown: only the ceiling holds, and the estimate is at the dearest tier's prices.
    expect(check(0, [])).toBe(0)
    expect(check(1_000, [])).toBeCloseTo(15)
  })
})

describe('a front door over a host that reports runs as free', () => {
  it('reads the model prices at the first result, and charges the estimate from the first run on', async () => {
    const lines = [{ type: 'started' }, { type: 'result', result: result(0) }]
    const fakeFetch = (async (input: RequestInfo | URL) => {
      const url = String(input)
      if (url.endsWith('/runner/v1/models')) return Response.json({ models: [HAIKU] })
      return new Response(lines.map((line) => `${JSON.stringify(line)}\n`).join(''))
    }) as typeof fetch
    const runner = createRemoteRunner({ urls: ['http://runner-a:7743'], fetch: fakeFetch })
    const costOf = async () => {
      for await (const event of runner.run({ prompt: 'x' })) {
        if (event.type === 'result') return event.result.totalCostUsd
      }
      return undefined
    }
    expect(await costOf()).toBeCloseTo(1)
    expect(await costOf()).toBeCloseTo(1)
  })

  it('checks the first result against the ceiling alone when the host is slow to list prices, and later ones do not wait', async () => {
    vi.useFakeTimers()
    try {
      const fakeFetch = (async (input: RequestInfo | URL) => {
        if (String(input).endsWith('/runner/v1/models')) return new Promise<Response>(() => {})
        const line = { type: 'result', result: result(0) }
        return new Response(`${JSON.stringify(line)}\n`)
      }) as typeof fetch
      const runner = createRemoteRunner({ urls: ['http://runner-a:7743'], fetch: fakeFetch })
      const events = runner.run({ prompt: 'x' })[Symbol.asyncIterator]()
      const next = events.next()
      await vi.advanceTimersByTimeAsync(5_000)
      const { value } = await next
      expect(value).toMatchObject({ type: 'result', result: { totalCostUsd: 0 } })
      // The prices are still not there: the next run's result comes without a wait.
      let answered = false
      const again = runner.run({ prompt: 'y' })[Symbol.asyncIterator]().next()
      void again.then(() => (answered = true))
      await vi.advanceTimersByTimeAsync(10)
      expect(answered).toBe(true)
    } finally {
      vi.useRealTimers()
    }
  })
})
