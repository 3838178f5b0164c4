/** What the model got, request by request, as one conversation: for tests of history and holding. */
import { expect } from 'vitest'
import type { MockRequest } from '../../dev-tools/mock-anthropic/server.js'

/**
 * A request's messages without their cache breakpoints, which move to the newest turn (the CLI
 * writes a message that carries one as blocks, else as a string).
 */
export const upstreamMessages = (request: MockRequest | undefined) =>
  (
    JSON.parse(JSON.stringify(request?.body.messages ?? []), (k, v) =>
      k === 'cache_control' ? undefined : v
    ) as Array<{ role: string; content: unknown }>
  ).map((m) => ({
    ...m,
    content: typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content,
  }))

/** Each request extends the one before it: the same turns, then more (what the cache reads). */
export const expectEachExtends = (requests: MockRequest[]) => {
  for (const [i, request] of requests.entries()) {
    if (i === 0) continue
    const before = upstreamMessages(requests[i - 1])
    expect(upstreamMessages(request).slice(0, before.length)).toEqual(before)
  }
}

/** The blocks of a request's messages, of one type. */
export const blocksOfType = (request: MockRequest | undefined, type: string) =>
  upstreamMessages(request).flatMap((m) =>
    Array.isArray(m.content)
      ? (m.content as Array<{ type: string; name?: string }>).filter((b) => b.type === type)
      : []
  )
