/**
 * API key authentication: `Authorization: Bearer <key>` or `x-api-key: <key>`, checked against
 * SHA-256 hashes in constant time. On success the request's runner is wrapped with the key's
 * policy. Keys never reach the logs; their names do.
 */
import type { MiddlewareHandler } from 'hono'
import { KeysUnavailableError, UnauthorizedError } from '../errors/index.js'
import type { AppEnv } from '../http/env.js'
import { findByHash, hashKey, type KeyRecord } from './keys.js'

export type KeySet = {
  /** Auth is on when keys are configured at all (a keys file, hashes) and not disabled. */
  enabled: boolean
  records: readonly KeyRecord[]
  /** Set when the keys cannot be trusted (e.g. the keys file vanished): every key is refused. */
  unavailable?: string
}

/** Where the keys come from: a file (Node), bindings or KV (Workers), or a fixed list. */
export type KeySource = {
  load(): KeySet | Promise<KeySet>
  /** A store keyed by hash (e.g. Workers KV) can look one up instead of listing them all. */
  find?(hash: string): Promise<KeyRecord | undefined>
}

export const staticKeySource = (records: readonly KeyRecord[], enabled = true): KeySource => ({
  load: () => ({ enabled, records }),
})

/** Paths anyone may read: they hold no data (the chat and admin pages ask for a key themselves). */
export const isPublicPath = (path: string) =>
  path === '/' ||
  path === '/health' ||
  path === '/docs' ||
  path === '/openapi.json' ||
  path === '/chat' ||
  path.startsWith('/chat/assets/') ||
  path === '/admin' ||
  path.startsWith('/admin/assets/') ||
  path.startsWith('/assets/')

const readKey = (header: (name: string) => string | undefined) => {
  const authorization = header('authorization')
  const bearer = authorization && /^bearer\s+(\S+)\s*$/i.exec(authorization)?.[1]
  return bearer || header('x-api-key')?.trim() || undefined
}

export const createAuth =
  (source: KeySource | undefined): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    if (!source || isPublicPath(c.req.path)) return next()
    const keys = await source.load()
    if (keys.unavailable) {
      throw new KeysUnavailableError(
        `API keys cannot be checked right now (${keys.unavailable}); the operator must restore them`
      )
    }
    if (!keys.enabled) return next()
    const key = readKey((name) => c.req.header(name))
    if (!key) {
      throw new UnauthorizedError(
        'API key required. Use: Authorization: Bearer <api-key> (or x-api-key: <api-key>)'
      )
    }
    const hash = await hashKey(key)
    const record = findByHash(keys.records, hash) ?? (await source.find?.(hash))
    if (!record) throw new UnauthorizedError('Invalid API key')
    c.set('apiKey', record)
    await next()
  }
