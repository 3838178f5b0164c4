/**
 * OpenAI-compatible Chat Completions, so the official `openai` client (and tools built on it)
 * work unchanged: POST /v1/chat/completions, streaming included.
 */
import { Hono } from 'hono'
import { describeRoute } from 'hono-openapi'
import type { RunEvent } from '../../contract/runner.js'
import type { AppEnv } from '../../http/env.js'
import { errorResponse } from '../../http/openapi-responses.js'
import { pipeRun } from '../../http/stream-pipe.js'
import { jsonBody } from '../../http/validation.js'
import { compileJsonSchema } from '../../run/json-schema.js'
import { collectRun } from '../../run/result.js'
import { stopAtSequences } from '../../run/stop-sequences.js'
import { checkModel, nameIgnored } from '../shared.js'
import { IGNORED, stopOf, structuredAnswer, toRunRequest } from './request.js'
import { completionBody } from './response.js'
import { ChatCompletionRequest } from './schemas.js'
import { createOpenAIEncoder } from './stream-encoder.js'

export const createOpenAIRoutes = ({ heartbeatMs }: { heartbeatMs: number }) =>
  new Hono<AppEnv>().post(
    '/chat/completions',
    describeRoute({
      summary: 'OpenAI Chat Completions, answered by Claude through Claude Code',
      tags: ['Compatible'],
      responses: {
        200: {
          description: 'A chat.completion, or chat.completion.chunk events with stream: true',
        },
        400: errorResponse('Invalid or unsupported request (OpenAI error shape)'),
        404: errorResponse('Unknown model'),
      },
    }),
    jsonBody(ChatCompletionRequest),
    async (c) => {
      const body = c.req.valid('json')
      const request = toRunRequest(body)
      // Checked before the run, so a schema that cannot work costs nothing.
      const validator =
        request.jsonSchema &&
        compileJsonSchema(request.jsonSchema, 'response_format.json_schema.schema')
      await checkModel(c.var.runner, body.model)
      const start = (signal: AbortSignal): AsyncIterable<RunEvent> => {
        const events = stopAtSequences(c.var.runner.run(request, { signal }), stopOf(body))
        return validator ? structuredAnswer(events, validator) : events
      }
      nameIgnored(c, body, IGNORED)
      if (body.stream) {
        const encoder = createOpenAIEncoder(body.model, Boolean(body.stream_options?.include_usage))
        return pipeRun(c, start, encoder, { heartbeatMs })
      }
      const result = await collectRun(start(c.req.raw.signal))
      return c.json(completionBody(body.model, result))
    }
  )
