/**
 * One structured log line per request: id, key name, method, route, status, duration, and the
 * run's model and cost. The request id is also sent back as `X-Request-Id`.
 */
import type { MiddlewareHandler } from 'hono'
import type { Logger } from '../lib/logger.js'
import type { AppEnv } from './env.js'

export const requestLog =
  (logger: Logger): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const started = performance.now()
    const requestId = crypto.randomUUID()
    c.set('requestId', requestId)
    c.set('logFields', {})
    await next()
    c.header('X-Request-Id', requestId)
    const log = () =>
      logger.info('request', {
        id: requestId,
        key: c.var.apiKey ? c.var.apiKey.name || c.var.apiKey.hash.slice(0, 8) : undefined,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        duration_ms: Math.round(performance.now() - started),
        ...c.var.logFields,
      })
    // A stream is logged when it ends, with its real duration and the run's model and cost.
    if (c.var.streaming) void c.var.streaming.then(log)
    else log()
  }
