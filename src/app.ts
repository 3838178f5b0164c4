/**
 * The runtime-agnostic HTTP app. It depends only on a `ClaudeRunner`, so the same routes run on
 * Node, on Cloudflare Workers (with a remote runner) or inside tests.
 */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { describeRoute, resolver } from 'hono-openapi'
import { createActivity } from './api/activity.js'
import { createAdminRoutes } from './api/admin.js'
import { createChatRoutes } from './api/chat.js'
import { createInfoRoutes } from './api/info.js'
import { createLoginRoutes, type SelfLogins } from './api/login.js'
import { type AppMetrics, createMetricsRoutes } from './api/metrics.js'
import { createQueryRoutes } from './api/query.js'
import { HealthResponse } from './api/schemas.js'
import { createAuth, type KeySource } from './auth/middleware.js'
import { createParkedPlaces, type SharedParking } from './auth/parked-places.js'
import { withKeyPolicy } from './auth/policy-runner.js'
import { ratelimitHeaders } from './compat/anthropic/ratelimit-headers.js'
import { createAnthropicRoutes } from './compat/anthropic/routes.js'
import type { ThreadReplies } from './compat/anthropic/thread-replies.js'
import { createModelRoutes } from './compat/models.js'
import { createOpenAIRoutes } from './compat/openai/routes.js'
import type { BackgroundLog } from './compat/responses/background-log.js'
import { createResponsesRoutes } from './compat/responses/routes.js'
import type { ResponseStore } from './compat/responses/store.js'
import type { ClaudeRunner } from './contract/runner.js'
import { NotFoundError, PayloadTooLargeError } from './errors/index.js'
import { createCors } from './http/cors.js'
import type { AppEnv } from './http/env.js'
import { createErrorHandler, respondWithError } from './http/errors.js'
import { loopbackHostsOnly } from './http/host-guard.js'
import { createDocsRoutes, PUBLIC_ROUTE } from './http/openapi.js'
import { quotaHeaders } from './http/quota-headers.js'
import { requestLog } from './http/request-log.js'
import { requireJson } from './http/validation.js'
import { createLogger, type Logger } from './lib/logger.js'
import { VERSION } from './lib/version.js'
import { requestSpan } from './tracing/request-span.js'
import { createTracing, type Tracing } from './tracing/tracing.js'
import { createMemoryUsageStore } from './usage/memory-store.js'
import type { UsageStore } from './usage/store.js'
import { createWebRoutes, type WebAssets } from './web/routes.js'

export type AppOptions = {
  runner: ClaudeRunner
  /** API keys; without a source (or with none configured) the API is open. */
  keys?: KeySource
  /** Where per-key usage is kept and limits are decided; default in memory. */
  usage?: UsageStore
  /** Where stored Responses are kept (previous_response_id); default in memory. */
  responseStore?: ResponseStore
  /** Where background responses' events are kept (default: this process's memory). */
  backgroundLog?: BackgroundLog
  /** Where Anthropic thread replies are kept (default: this process's memory). */
  threadReplies?: ThreadReplies
  /**
   * Where runs waiting for tool results are found by other front doors (with a usage store
   * that can `adopt` a place); default: only by this one.
   */
  parking?: SharedParking
  logger?: Logger
  /** Largest accepted request body. Default 20 MiB (room for a few images). */
  maxBodyBytes?: number
  /** SSE keep-alive comment interval. Default 15 s. */
  heartbeatMs?: number
  /** Browser origins allowed to call the API (CORS); default none. */
  corsOrigins?: readonly string[]
  /** Serves `GET /metrics` (admin) and counts every request into it. */
  metrics?: AppMetrics
  /**
   * Where /docs loads Swagger UI's assets from (`<url>/swagger-ui-dist/…`). Default: a public
   * CDN; the Node server serves them itself so /docs works offline.
   */
  docsAssetsUrl?: string
  /** The chat page's built files (`GET /chat`); without them /chat says how to build it. */
  webAssets?: WebAssets
  /** Bound to loopback: answer only requests addressed to a loopback name (host-guard.ts). */
  loopbackOnly?: boolean
  /** How long a run waits for tool results, holding its key's place. Default 5 minutes. */
  toolWaitMs?: number
  /** Lets key holders set their own Claude login (`POST /llm/login`); default: not allowed. */
  selfLogins?: SelfLogins
  /**
   * What requests and their runs are traced with; default the global OpenTelemetry API's
   * tracer (a no-op unless the embedding program registered a provider).
   */
  tracing?: Tracing
}

export const createApp = (options: AppOptions) => {
  const logger = options.logger ?? createLogger('info')
  const maxBodyBytes = options.maxBodyBytes ?? 20 * 1024 * 1024
  const usage = options.usage ?? createMemoryUsageStore()
  const heartbeatMs = options.heartbeatMs ?? 15_000
  const adopt = usage.adopt?.bind(usage)
  const parked = createParkedPlaces(
    options.toolWaitMs,
    options.parking && adopt ? { parking: options.parking, adopt } : undefined
  )
  const activity = createActivity()
  const tracing = options.tracing ?? createTracing()

  const app = new Hono<AppEnv>()
  app.onError(createErrorHandler(logger))
  app.notFound((c) => respondWithError(c, new NotFoundError('Not Found')))

  return (
    app
      .use(requestLog(logger, options.metrics?.observe))
      .use(requestSpan(tracing))
      .use(options.loopbackOnly ? loopbackHostsOnly() : (_, next) => next())
      // Before auth: a browser's preflight carries no key.
      .use(createCors(options.corsOrigins ?? []))
      .use(createAuth(options.keys))
      .use(async (c, next) => {
        const fields = c.var.logFields
        c.set('logger', logger)
        const key = c.var.apiKey
        c.set(
          'runner',
          activity.track(
            withKeyPolicy(options.runner, c.var.apiKey, usage, parked, {
              tracing,
              onResult: (request, result) => {
                fields.model = result.model ?? request.model
                fields.cost_usd = result.totalCostUsd
                fields.input_tokens = result.usage?.input_tokens
                fields.output_tokens = result.usage?.output_tokens
                fields.cache_read_tokens = result.usage?.cache_read_input_tokens
                fields.cache_write_tokens = result.usage?.cache_creation_input_tokens
              },
              onStarted: (waitedMs) => {
                fields.start_wait_ms = Math.round(waitedMs)
              },
            }),
            key ? key.name || key.hash.slice(0, 8) : 'anonymous',
            c.var.trace
          )
        )
        await next()
      })
      // Bodies are read only where a route takes one, after auth: a request to any other path
      // is answered without reading what it sends.
      .on(
        'POST',
        ['/llm/*', '/v1/*'],
        bodyLimit({
          maxSize: maxBodyBytes,
          onError: () => {
            throw new PayloadTooLargeError(`Request body is larger than ${maxBodyBytes} bytes`)
          },
        }),
        requireJson
      )
      .use('/llm/*', quotaHeaders())
      .use('/v1/*', quotaHeaders())
      .use('/v1/messages', ratelimitHeaders())
      .use('/v1/messages/*', ratelimitHeaders())
      .get(
        '/health',
        describeRoute({
          summary: 'Liveness',
          ...PUBLIC_ROUTE,
          responses: {
            200: {
              description: 'The server is up',
              content: { 'application/json': { schema: resolver(HealthResponse) } },
            },
          },
        }),
        (c) => c.json({ status: 'ok' as const, service: 'claude-code-api', version: VERSION })
      )
      .route('/llm', createInfoRoutes())
      .route('/llm', createLoginRoutes(options.selfLogins))
      .route('/llm', createChatRoutes({ heartbeatMs }))
      .route('/llm', createQueryRoutes({ heartbeatMs }))
      .route('/admin', createAdminRoutes(usage, activity, options.keys))
      .route('/', createMetricsRoutes(options.metrics))
      .route('/v1', createModelRoutes())
      .route('/v1', createOpenAIRoutes({ heartbeatMs }))
      .route('/v1', createAnthropicRoutes({ heartbeatMs, threadReplies: options.threadReplies }))
      .route(
        '/v1',
        createResponsesRoutes({
          heartbeatMs,
          store: options.responseStore,
          backgroundLog: options.backgroundLog,
        })
      )
      .route('/', createWebRoutes(options.webAssets))
      .route('/', createDocsRoutes(app, { assetsUrl: options.docsAssetsUrl }))
  )
}

export type App = ReturnType<typeof createApp>
export type { AppMetrics, WebAssets }
