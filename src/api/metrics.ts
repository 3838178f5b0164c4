import { Hono } from 'hono'
import { describeRoute } from 'hono-openapi'
import { NotFoundError, PolicyError } from '../errors/index.js'
import type { AppEnv } from '../http/env.js'
import { errorResponse } from '../http/openapi-responses.js'
import type { RequestRecord } from '../http/request-log.js'

/** What a runtime plugs in for `GET /metrics` (the Node server: prom-client, server/metrics.ts). */
export type AppMetrics = {
  contentType: string
  /** Each request, as the request log records it. */
  observe(record: RequestRecord): void
  render(): Promise<string>
}

export const createMetricsRoutes = (metrics?: AppMetrics) =>
  new Hono<AppEnv>().get(
    '/metrics',
    describeRoute({
      summary: 'Prometheus metrics: requests, runs, tokens, cost, queue, CLI processes, quota',
      description: 'Needs an admin key when auth is on. Served by the Node server.',
      responses: {
        200: { description: 'The Prometheus text format', content: { 'text/plain': {} } },
        403: errorResponse('The key is not an admin key'),
        404: errorResponse('Not served here (the Workers front door)'),
      },
    }),
    async (c) => {
      if (!metrics) throw new NotFoundError('Not Found')
      if (c.var.apiKey && !c.var.apiKey.policy.admin) {
        throw new PolicyError('This endpoint needs an admin key')
      }
      return c.body(await metrics.render(), 200, { 'content-type': metrics.contentType })
    }
  )
