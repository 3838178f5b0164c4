/**
 * The runner host: a `ClaudeRunner` served over HTTP so a front door elsewhere (e.g. on
 * Cloudflare Workers) can use this machine's CLI. Protocol v1:
 *   POST /runner/v1/runs    a RunRequest → 200 and one RunEvent per line (NDJSON), ending in a
 *                           `result`, or an `{"type":"error","error":{type,message,retry_after}}`
 *                           line; failures before the run starts are HTTP errors.
 *   GET  /runner/v1/health  `{ protocol, status, capacity }`
 *   GET  /runner/v1/status, /runner/v1/models
 * Every request carries `x-runner-protocol: 1` and, when a token is set, `Authorization: Bearer`.
 * Runtime-agnostic: the Node entry serves it.
 */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { stream } from 'hono/streaming'
import { RunRequestSchema } from '../api/schemas.js'
import { timingSafeEqual } from '../auth/keys.js'
import { isClaudeError, ProtocolMismatchError, UnauthorizedError } from '../errors.js'
import { createErrorHandler, errorJson, publicMessage } from '../http/errors.js'
import { startRunStream } from '../http/run-stream.js'
import { jsonBody } from '../http/validation.js'
import { type Logger, silentLogger } from '../lib/logger.js'
import { encodeNdjson } from '../lib/ndjson.js'
import type { ClaudeRunner, RunEvent } from '../runner.js'

export const RUNNER_PROTOCOL = 1
export const RUNNER_PROTOCOL_HEADER = 'x-runner-protocol'

export type RunnerHostOptions = {
  runner: ClaudeRunner
  /** RUNNER_TOKEN: required from callers when set. */
  token?: string
  logger?: Logger
}

/** What a run stream carries besides RunEvents: a failure after the run started. */
export type WireError = {
  type: 'error'
  error: { type: string; message: string; retry_after?: number }
}

export const createRunnerHostApp = ({
  runner,
  token,
  logger = silentLogger,
}: RunnerHostOptions) => {
  const app = new Hono()
  app.onError(createErrorHandler(logger))
  app.notFound((c) =>
    c.req.path.startsWith('/runner/')
      ? errorJson(c, 400, {
          detail: `This runner host speaks protocol v${RUNNER_PROTOCOL} (/runner/v${RUNNER_PROTOCOL}/…)`,
          type: 'protocol_mismatch',
        })
      : errorJson(c, 404, { detail: 'Not Found', type: 'not_found' })
  )
  return app
    .use(
      '/runner/*',
      // The front door limits bodies too; this keeps a host safe on its own.
      bodyLimit({
        maxSize: 64 * 1024 * 1024,
        onError: (c) =>
          errorJson(c, 413, { detail: 'Request body too large', type: 'payload_too_large' }),
      })
    )
    .use('/runner/*', async (c, next) => {
      const version = c.req.header(RUNNER_PROTOCOL_HEADER)
      if (version !== undefined && version !== String(RUNNER_PROTOCOL)) {
        throw new ProtocolMismatchError(
          `Runner protocol ${version} is not supported; this host speaks protocol ${RUNNER_PROTOCOL}`
        )
      }
      if (token) {
        const given = /^bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1] ?? ''
        if (!timingSafeEqual(given, token)) throw new UnauthorizedError('Invalid runner token')
      }
      await next()
    })
    .get('/runner/v1/health', async (c) =>
      c.json({
        protocol: RUNNER_PROTOCOL,
        status: 'ok',
        capacity: (await runner.status()).capacity,
      })
    )
    .get('/runner/v1/status', async (c) => c.json(await runner.status()))
    .get('/runner/v1/models', async (c) => c.json({ models: await runner.models() }))
    .post('/runner/v1/runs', jsonBody(RunRequestSchema), async (c) => {
      const { controller, signal, events, first } = await startRunStream(
        c,
        runner,
        c.req.valid('json')
      )
      c.header('content-type', 'application/x-ndjson; charset=utf-8')
      c.header('x-accel-buffering', 'no')
      return stream(c, async (out) => {
        out.onAbort(() => controller.abort())
        try {
          for (let step = first; !step.done; step = await events.next()) {
            await out.write(encodeNdjson(step.value satisfies RunEvent))
          }
        } catch (error) {
          if (signal.aborted) return
          const line: WireError = {
            type: 'error',
            error: {
              type: isClaudeError(error) ? error.type : 'internal_error',
              message: publicMessage(error),
              ...(isClaudeError(error) && error.retryAfter && { retry_after: error.retryAfter }),
            },
          }
          await out.write(encodeNdjson(line))
        } finally {
          await events.return?.()
        }
      })
    })
}
