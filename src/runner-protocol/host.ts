/**
 * The runner host: a `ClaudeRunner` served over the runner protocol (see protocol.ts), so a front
 * door elsewhere (e.g. on Cloudflare Workers) can use this machine's CLI. Runtime-agnostic: the
 * Node entry serves it.
 */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { hashKey, timingSafeEqual } from '../auth/keys.js'
import { RunRequestSchema } from '../contract/run.js'
import type { ClaudeRunner } from '../contract/runner.js'
import {
  type Health,
  RUNNER_PROTOCOL,
  RUNNER_PROTOCOL_HEADER,
} from '../contract/runner-protocol.js'
import {
  HostDrainingError,
  NotFoundError,
  PayloadTooLargeError,
  ProtocolMismatchError,
  SessionNotFoundError,
  UnauthorizedError,
} from '../errors/index.js'
import type { AppEnv } from '../http/env.js'
import { createErrorHandler, respondWithError } from '../http/errors.js'
import { loopbackHostsOnly } from '../http/host-guard.js'
import { pipeRun } from '../http/stream-pipe.js'
import { jsonBody, requireJson } from '../http/validation.js'
import { type Logger, silentLogger } from '../lib/logger.js'
import { requestSpan } from '../tracing/request-span.js'
import { createTracing, type Tracing } from '../tracing/tracing.js'
import { createRunnerEncoder } from './stream-encoder.js'

export type RunnerHostOptions = {
  runner: ClaudeRunner
  /** RUNNER_TOKEN: required from callers when set. */
  token?: string
  logger?: Logger
  /** Keep-alive interval of run streams. Default 15 s. */
  heartbeatMs?: number
  /** Bound to loopback: answer only requests addressed to a loopback name (host-guard.ts). */
  loopbackOnly?: boolean
  /** Whether it is shutting down: new runs are refused so front doors move on. */
  draining?: () => boolean
  /** What its requests are traced with; a front door's `traceparent` is their parent. */
  tracing?: Tracing
}

export const createRunnerHostApp = ({
  runner,
  token,
  logger = silentLogger,
  heartbeatMs = 15_000,
  loopbackOnly = false,
  draining = () => false,
  tracing = createTracing(),
}: RunnerHostOptions) => {
  const tokenHash = token ? hashKey(token) : undefined
  const app = new Hono<AppEnv>()
  app.onError(createErrorHandler(logger))
  app.notFound((c) =>
    respondWithError(
      c,
      c.req.path.startsWith('/runner/')
        ? new ProtocolMismatchError(
            `This runner host speaks protocol v${RUNNER_PROTOCOL} (/runner/v${RUNNER_PROTOCOL}/…)`
          )
        : new NotFoundError('Not Found')
    )
  )
  return (
    app
      .use(loopbackOnly ? loopbackHostsOnly() : (_, next) => next())
      .use('/runner/v1/runs', requestSpan(tracing))
      .use('/runner/*', async (c, next) => {
        c.set('logger', logger)
        const version = c.req.header(RUNNER_PROTOCOL_HEADER)
        if (version !== undefined && version !== String(RUNNER_PROTOCOL)) {
          throw new ProtocolMismatchError(
            `Runner protocol ${version} is not supported; this host speaks protocol ${RUNNER_PROTOCOL}`
          )
        }
        if (tokenHash) {
          const given = /^bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1] ?? ''
          // Hashes have one length, so the comparison's time says nothing about the token's.
          if (!timingSafeEqual(await hashKey(given), await tokenHash)) {
            throw new UnauthorizedError('Invalid runner token')
          }
        }
        await next()
      })
      // After the token: nothing is read of a caller's body before it is known. The front door
      // limits bodies too; this keeps a host safe on its own.
      .use(
        '/runner/*',
        bodyLimit({
          maxSize: 64 * 1024 * 1024,
          onError: () => {
            throw new PayloadTooLargeError('Request body too large')
          },
        })
      )
      .get('/runner/v1/health', async (c) => {
        // Written as the schema front doors read it with (contract/runner-protocol.ts).
        const health: Health = {
          protocol: RUNNER_PROTOCOL,
          status: draining() ? 'draining' : 'ok',
          // Cheap: a health check must not wait for the CLI to be asked its version.
          capacity: runner.capacity?.() ?? (await runner.status()).capacity,
          tools: [...((await runner.tools?.()) ?? [])],
        }
        return c.json(health)
      })
      .get('/runner/v1/status', async (c) => c.json(await runner.status()))
      .get('/runner/v1/models', async (c) => c.json({ models: await runner.models() }))
      // A kept session's transcript, for the front door's shared store (its owner must match).
      .get('/runner/v1/sessions/:id/transcript', async (c) => {
        const text = await runner.sessionTranscript?.(c.req.param('id'), c.req.query('owner') ?? '')
        if (text === undefined) throw new SessionNotFoundError('No session with that id')
        return c.body(text, 200, { 'content-type': 'application/x-ndjson' })
      })
      .post('/runner/v1/runs', requireJson, jsonBody(RunRequestSchema), (c) => {
        const request = c.req.valid('json')
        // A follow-up continues a run in flight here; anything new goes to another host.
        if (draining() && !request.toolResults?.length)
          throw new HostDrainingError('This runner host is shutting down; it takes no new run', {
            retryAfter: 1,
          })
        const trace = c.var.trace
        return pipeRun(
          c,
          (signal) => runner.run(request, { signal, trace }),
          createRunnerEncoder(),
          {
            heartbeatMs,
          }
        )
      })
  )
}
