/**
 * One structured log line per request: id, key name, method, route, status, duration, and the
 * run's model and cost. The request id is also sent back as `X-Request-Id`. An observer (the
 * metrics) gets each request's record too.
 */
import type { MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import type { Logger } from '../lib/logger.js'
import type { AppEnv, RequestLogFields } from './env.js'

/** A request as metrics count it: route pattern, status, timings and the run's figures. */
export type RequestRecord = RequestLogFields & {
  /** The key's name (or the first 8 characters of its hash), when auth is on. */
  key?: string
  method: string
  route: string
  status: number
  durationMs: number
  /** Until the response began (for a stream: its first byte). */
  firstByteMs: number
}

export const requestLog =
  (logger: Logger, observe?: (record: RequestRecord) => void): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const started = performance.now()
    const requestId = crypto.randomUUID()
    c.set('requestId', requestId)
    c.set('logFields', {})
    await next()
    const firstByteMs = performance.now() - started
    c.header('X-Request-Id', requestId)
    const key = c.var.apiKey ? c.var.apiKey.name || c.var.apiKey.hash.slice(0, 8) : undefined
    const log = () => {
      observe?.({
        ...c.var.logFields,
        key,
        method: c.req.method,
        // The pattern of the route that answered (never the raw path: labels stay few).
        route: routePath(c, -1),
        status: c.res.status,
        durationMs: performance.now() - started,
        firstByteMs,
      })
      logger.info('request', {
        id: requestId,
        key,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        duration_ms: Math.round(performance.now() - started),
        ...c.var.logFields,
      })
    }
    // A stream is logged when it ends, with its real duration and the run's model and cost.
    if (c.var.streaming) void c.var.streaming.then(log)
    else log()
  }
