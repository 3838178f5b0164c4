/**
 * Anthropic-compatible Messages, so the official `@anthropic-ai/sdk` client works unchanged:
 * POST /v1/messages, streaming with the Messages API's event sequence.
 */
import { Hono } from 'hono'
import { describeRoute } from 'hono-openapi'
import type { AppEnv } from '../../http/env.js'
import { errorResponse } from '../../http/openapi-responses.js'
import { pipeRun } from '../../http/stream-pipe.js'
import { jsonBody } from '../../http/validation.js'
import { collectRun } from '../../run/result.js'
import { stopAtSequences } from '../../run/stop-sequences.js'
import { checkModel, nameIgnored } from '../shared.js'
import { IGNORED, toRunRequest } from './request.js'
import { messageBody, messageId } from './response.js'
import { CountTokensRequest, MessagesRequest } from './schemas.js'
import { createAnthropicEncoder } from './stream-encoder.js'
import type { ThreadReplies } from './thread-replies.js'
import { createThreadStore } from './threads.js'

export const createAnthropicRoutes = ({
  heartbeatMs,
  threadReplies,
}: {
  heartbeatMs: number
  /** Where thread replies are kept (default: this process's memory). */
  threadReplies?: ThreadReplies
}) => {
  const threads = createThreadStore(threadReplies)
  return new Hono<AppEnv>()
    .post(
      '/messages/count_tokens',
      describeRoute({
        summary: 'An estimate of the input tokens (labelled as one: x-token-count: estimate)',
        tags: ['Compatible'],
      }),
      jsonBody(CountTokensRequest),
      async (c) => {
        const body = c.req.valid('json')
        await checkModel(c.var.runner, body.model)
        // Claude Code cannot count without running the model: an estimate, and said to be one.
        const text = JSON.stringify([body.system ?? '', body.messages, body.tools ?? []])
        c.header('x-token-count', 'estimate')
        return c.json({ input_tokens: Math.ceil(text.length / 4) })
      }
    )
    .post(
      '/messages',
      describeRoute({
        summary: 'Anthropic Messages, answered through Claude Code',
        tags: ['Compatible'],
        responses: {
          200: { description: 'A message, or the Messages API event stream with stream: true' },
          400: errorResponse('Invalid or unsupported request (Anthropic error shape)'),
          404: errorResponse('Unknown model'),
        },
      }),
      jsonBody(MessagesRequest),
      async (c) => {
        const body = c.req.valid('json')
        const id = messageId()
        await checkModel(c.var.runner, body.model)
        const owner = c.var.apiKey?.hash ?? ''
        const thread =
          body.thread && (await threads.open(body.thread, toRunRequest(body), id, owner))
        const request = thread?.request ?? toRunRequest(body)
        const start = (signal: AbortSignal) => {
          const run = c.var.runner.run(request, { signal })
          const events = stopAtSequences(run, body.stop_sequences)
          return thread ? thread.track(events) : events
        }
        nameIgnored(c, body, IGNORED)
        if (body.stream) {
          return pipeRun(c, start, createAnthropicEncoder(body.model, id), { heartbeatMs })
        }
        return c.json(messageBody(body.model, await collectRun(start(c.req.raw.signal)), id))
      }
    )
}
