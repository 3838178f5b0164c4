/**
 * Prompt caching as the Messages API does it, so tests can tell a stable prefix from one that
 * moves: the request is read as blocks in the API's order (tools, then system, then messages);
 * a block with `cache_control` is a breakpoint, and the prefix through it is written to the
 * cache when it is at least 1,024 tokens. A later request reads the longest cached prefix that
 * ends at one of its breakpoints or up to 20 blocks before one. Entries live 5 minutes (or an
 * hour, `ttl: "1h"`) and each read refreshes them. Tokens are JSON characters ÷ 4.
 */
import { createHash } from 'node:crypto'
import type { MessagesBody } from './replies.js'

const MIN_TOKENS = 1_024
const LOOKBACK = 20
const TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const

type Block = { json: string; breakpoint?: keyof typeof TTL_MS }

export type CacheUsage = {
  input_tokens: number
  cache_creation_input_tokens: number
  cache_read_input_tokens: number
}

const tokensOf = (json: string) => Math.ceil(json.length / 4)

const asBlocks = (value: unknown): unknown[] => {
  if (typeof value === 'string') return [{ type: 'text', text: value }]
  return Array.isArray(value) ? value : []
}

/** A block as the cache keys it: its content, not where the breakpoints are. */
const blockOf = (value: unknown): Block => {
  const { cache_control: control, ...content } = (value ?? {}) as {
    cache_control?: { ttl?: string }
  }
  return {
    json: JSON.stringify(content),
    ...(control && { breakpoint: control.ttl === '1h' ? '1h' : '5m' }),
  }
}

/**
 * The CLI's attribution block (`x-anthropic-billing-header: …`, different on every call) is read
 * by the API as a header, not as part of the prompt, so it does not break the cached prefix.
 * Only a block that is that line alone: the same line inside a longer system text (a client's
 * passed on) is text like any other.
 */
const isBillingHeader = (block: unknown) => {
  const text = (block as { text?: unknown })?.text
  return typeof text === 'string' && /^x-anthropic-billing-header:[^\n]*$/.test(text)
}

/** The request's blocks in the order the API caches them. */
const blocksOf = (body: MessagesBody): Block[] => [
  ...(body.tools ?? []).map(blockOf),
  ...asBlocks(body.system)
    .filter((block) => !isBillingHeader(block))
    .map(blockOf),
  ...(body.messages ?? []).flatMap((message, i) =>
    // A message's role is part of what its blocks mean: it goes in with its first one.
    asBlocks(message.content).map((block, j) => {
      const cached = blockOf(block)
      return j === 0 ? { ...cached, json: `${i}:${message.role}:${cached.json}` } : cached
    })
  ),
]

export const createPromptCache = (now: () => number = Date.now) => {
  /** By the hash of a prefix: when it expires, and its lifetime. */
  const entries = new Map<string, { expires: number; ttl: number }>()

  const use = (body: MessagesBody, total: number): CacheUsage => {
    const blocks = blocksOf(body)
    const keys: string[] = []
    const ends: number[] = []
    let hash = createHash('sha256')
    let tokens = 0
    for (const block of blocks) {
      hash = hash.copy().update(block.json)
      keys.push(hash.copy().digest('hex'))
      tokens += tokensOf(block.json)
      ends.push(tokens)
    }
    const at = now()
    for (const [key, entry] of entries) if (entry.expires <= at) entries.delete(key)

    // The longest cached prefix ending at a breakpoint or up to 20 blocks before one.
    let read = -1
    blocks.forEach((block, b) => {
      if (!block.breakpoint) return
      for (let i = b; i >= Math.max(0, b - LOOKBACK) && i > read; i--) {
        if (entries.has(keys[i] as string)) read = i
      }
    })
    const readTokens = read >= 0 ? (ends[read] as number) : 0
    if (read >= 0) {
      const entry = entries.get(keys[read] as string)
      if (entry) entry.expires = at + entry.ttl
    }
    // Every breakpoint past what was read is written, when its prefix is long enough.
    let written = readTokens
    blocks.forEach((block, b) => {
      if (!block.breakpoint || b <= read || (ends[b] as number) < MIN_TOKENS) return
      const ttl = TTL_MS[block.breakpoint]
      entries.set(keys[b] as string, { expires: at + ttl, ttl })
      written = Math.max(written, ends[b] as number)
    })
    const cacheRead = Math.min(readTokens, total)
    const cacheWrite = Math.min(written - readTokens, total - cacheRead)
    return {
      input_tokens: Math.max(0, total - cacheRead - cacheWrite),
      cache_creation_input_tokens: cacheWrite,
      cache_read_input_tokens: cacheRead,
    }
  }

  return { use, clear: () => entries.clear() }
}
