/**
 * CORS for browser pages on other origins: only the origins the operator lists (none by
 * default) may call the API from a browser. Preflights are answered here, before auth, since a
 * browser sends them without the key; the real request still needs one.
 */
import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'

export const createCors = (origins: readonly string[]): MiddlewareHandler => {
  const allowed = new Set(origins)
  if (allowed.size === 0) return async (_c, next) => next()
  const any = allowed.has('*')
  return cors({
    origin: (origin) => (any || allowed.has(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: [
      'authorization',
      'content-type',
      'x-api-key',
      'anthropic-version',
      'anthropic-beta',
      'openai-organization',
    ],
    // What a page reads from an answer: the wait before retrying, and how close the quota is.
    exposeHeaders: [
      'retry-after',
      'x-claude-quota-utilization',
      'x-claude-quota-window',
      'x-claude-quota-resets-at',
      'anthropic-ratelimit-unified-status',
      'anthropic-ratelimit-unified-reset',
      'anthropic-ratelimit-unified-representative-claim',
      'anthropic-ratelimit-unified-5h-utilization',
      'anthropic-ratelimit-unified-5h-reset',
      'anthropic-ratelimit-unified-7d-utilization',
      'anthropic-ratelimit-unified-7d-reset',
    ],
    maxAge: 600,
  })
}

const ORIGIN = /^https?:\/\/[^/\s?#]+$/

const isOrigin = (value: string) => value === '*' || ORIGIN.test(value)

/**
 * `CORS_ORIGINS`: comma-separated origins such as `https://app.example.com`, or `*` for any.
 * `origins` holds the valid ones; `bad` the first entry that is not one (reported, never
 * guessed at).
 */
export const parseOrigins = (value: string | undefined) => {
  const entries = (value ?? '')
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean)
  return { origins: entries.filter(isOrigin), bad: entries.find((e) => !isOrigin(e)) }
}
