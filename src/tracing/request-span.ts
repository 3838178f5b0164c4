/**
 * A server span per request (`traceparent` and `tracestate` accepted on every route), named by
 * the route that answered, ended when the response has (a stream: when it ends). Its context is
 * what the request's runs are traced under (`c.var.trace`), and its ids go on the request's log
 * line. With tracing off the span records nothing, but a client's context still passes through.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import type { Context, MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import type { AppEnv } from '../http/env.js'
import { carrierOf, contextFrom, idsOf } from './context.js'
import type { Tracing } from './tracing.js'

/** Work after the response, where the runtime must be told of it (Workers); elsewhere it just runs. */
const waitUntil = (c: Context, work: Promise<unknown>) => {
  try {
    c.executionCtx.waitUntil(work)
  } catch {
    // No execution context (Node): the promise runs on its own.
  }
}

export const requestSpan =
  (tracing: Tracing): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const traceparent = c.req.header('traceparent')
    // Off, and nothing to pass on: nothing to do.
    if (!traceparent && !tracing.active()) return next()
    const method = c.req.method
    const span = tracing.tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': method, 'url.path': c.req.path },
      },
      contextFrom({ traceparent, tracestate: c.req.header('tracestate') })
    )
    const trace = carrierOf(span)
    if (trace) c.set('trace', trace)
    const ids = idsOf(span)
    if (ids && c.var.logFields) Object.assign(c.var.logFields, ids)
    try {
      await next()
    } finally {
      const end = () => {
        const route = routePath(c, -1)
        span.updateName(`${method} ${route}`)
        span.setAttribute('http.route', route)
        span.setAttribute('http.response.status_code', c.res.status)
        const failed =
          c.var.logFields?.error_type ?? (c.res.status >= 500 ? 'internal_error' : undefined)
        if (failed) {
          span.setAttribute('error.type', failed)
          span.setStatus({ code: SpanStatusCode.ERROR })
        }
        span.end()
      }
      const ended = c.var.streaming ? c.var.streaming.then(end, end) : Promise.resolve(end())
      const flush = tracing.flush
      if (flush)
        waitUntil(
          c,
          ended.then(flush).catch(() => {})
        )
    }
  }
