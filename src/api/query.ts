import { Hono } from 'hono'
import { describeRoute, resolver } from 'hono-openapi'
import type { RunResult } from '../contract/runner.js'
import type { AppEnv } from '../http/env.js'
import { errorResponse, runErrorResponses } from '../http/openapi-responses.js'
import { pipeRun } from '../http/stream-pipe.js'
import { jsonBody } from '../http/validation.js'
import { chatResponse, collectRun } from '../run/result.js'
import { runRequestOf } from './query-codec.js'
import { QueryRequest, QueryResponse } from './schemas.js'
import { createNativeEncoder } from './stream-encoder.js'

const usageFields = (result: RunResult) => ({
  session_id: result.sessionId,
  num_turns: result.numTurns,
  total_cost_usd: result.totalCostUsd,
  duration_ms: result.durationMs,
  usage: result.usage,
  model_usage: result.modelUsage,
  tool_calls: result.toolCalls ?? null,
})

const queryResponses = {
  403: errorResponse('A model or tool outside the policy'),
  404: errorResponse('Unknown session_id'),
  ...runErrorResponses,
}

export const createQueryRoutes = ({ heartbeatMs }: { heartbeatMs: number }) =>
  new Hono<AppEnv>()
    .post(
      '/query',
      describeRoute({
        summary: 'A prompt with images, tools within the server policy, sessions and a budget',
        description:
          'Set `persist_session: true` to keep the conversation; pass the returned `session_id` to continue it. Tools are off unless the server policy allows them (403 otherwise).',
        responses: {
          200: {
            description: 'The answer with usage and cost',
            content: { 'application/json': { schema: resolver(QueryResponse) } },
          },
          ...queryResponses,
        },
      }),
      jsonBody(QueryRequest),
      async (c) => {
        const body = c.req.valid('json')
        const result = await collectRun(
          c.var.runner.run(runRequestOf(body), { signal: c.req.raw.signal })
        )
        return c.json({ ...chatResponse(body.model, result), ...usageFields(result) })
      }
    )
    .post(
      '/query/stream',
      describeRoute({
        summary: '/llm/query as Server-Sent Events',
        description:
          'The events of /llm/chat/stream, plus a `result` event before `end` with `session_id`, `num_turns`, `total_cost_usd`, `duration_ms`, `usage` and `model_usage`.',
        responses: {
          200: { description: 'The event stream', content: { 'text/event-stream': {} } },
          ...queryResponses,
        },
      }),
      jsonBody(QueryRequest),
      (c) => {
        const request = runRequestOf(c.req.valid('json'))
        const encoder = createNativeEncoder((result) => ({
          type: 'result' as const,
          ...usageFields(result),
        }))
        return pipeRun(c, (signal) => c.var.runner.run(request, { signal }), encoder, {
          heartbeatMs,
        })
      }
    )
