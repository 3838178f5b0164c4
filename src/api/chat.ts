import { Hono } from 'hono'
import { describeRoute, resolver } from 'hono-openapi'
import type { RunRequest } from '../contract/runner.js'
import { NoJsonError, StructuredOutputError } from '../errors/index.js'
import type { AppEnv } from '../http/env.js'
import { runErrorResponses } from '../http/openapi-responses.js'
import { pipeRun } from '../http/stream-pipe.js'
import { jsonBody } from '../http/validation.js'
import { extractJson } from '../lib/json-extract.js'
import { compileJsonSchema } from '../run/json-schema.js'
import { chatResponse, collectRun, nonEmpty } from '../run/result.js'
import { ChatRequest, ChatResponse, JsonRequest } from './schemas.js'
import { createNativeEncoder } from './stream-encoder.js'

export type ChatRoutesOptions = {
  /** How often an SSE comment is sent while no event is due. */
  heartbeatMs: number
}

const toRunRequest = (body: ChatRequest): RunRequest => ({
  prompt: body.prompt,
  systemPrompt: nonEmpty(body.system),
  model: body.model,
  maxTurns: body.max_turns,
  timeoutMs: body.timeout_ms,
})

export const createChatRoutes = ({ heartbeatMs }: ChatRoutesOptions) =>
  new Hono<AppEnv>()
    .post(
      '/chat',
      describeRoute({
        summary: 'One prompt, one answer',
        responses: {
          200: {
            description: 'The answer',
            content: { 'application/json': { schema: resolver(ChatResponse) } },
          },
          ...runErrorResponses,
        },
      }),
      jsonBody(ChatRequest),
      async (c) => {
        const body = c.req.valid('json')
        const result = await collectRun(
          c.var.runner.run(toRunRequest(body), { signal: c.req.raw.signal })
        )
        return c.json(chatResponse(body.model, result))
      }
    )
    .post(
      '/json',
      describeRoute({
        summary: 'One prompt, answered with a JSON value',
        description:
          'Returns the JSON value itself (no envelope). With `schema`, the CLI produces structured output and the server validates it; otherwise the JSON is extracted from the answer (whole text, fenced block, or first balanced object/array).',
        responses: {
          200: { description: 'The JSON value', content: { 'application/json': {} } },
          ...runErrorResponses,
        },
      }),
      jsonBody(JsonRequest),
      async (c) => {
        const body = c.req.valid('json')
        const validator = body.schema ? compileJsonSchema(body.schema, 'schema') : undefined
        const result = await collectRun(
          c.var.runner.run(
            {
              ...toRunRequest(body),
              jsonSchema: body.schema,
              // Structured output takes one extra turn: the tool call, then its acknowledgement.
              maxTurns: body.schema ? body.max_turns + 1 : body.max_turns,
            },
            { signal: c.req.raw.signal }
          )
        )
        if (validator) {
          const check = validator.validate(result.structuredOutput)
          if (!check.valid) {
            throw new StructuredOutputError('The model output does not match the JSON schema')
          }
          return c.json(result.structuredOutput as object)
        }
        const extracted = extractJson(result.text)
        if (!extracted.found) {
          throw new NoJsonError(
            `No JSON found in the model's answer: ${JSON.stringify(result.text.slice(0, 200))}`
          )
        }
        return c.json(extracted.value as object)
      }
    )
    .post(
      '/chat/stream',
      describeRoute({
        summary: 'One prompt, answered as Server-Sent Events',
        description:
          'Each event is `data: {"type": ...}` with an `id:` line: `start`, then `chunk` (`text`) as tokens arrive, `error` (`message`, `error_type`) if the run fails, and `end` last. While nothing is due, a `: keep-alive` comment is sent. Failures before the run starts (validation, capacity, missing CLI) are ordinary HTTP errors.',
        responses: {
          200: { description: 'The event stream', content: { 'text/event-stream': {} } },
          ...runErrorResponses,
        },
      }),
      jsonBody(ChatRequest),
      (c) => {
        const request = toRunRequest(c.req.valid('json'))
        return pipeRun(
          c,
          (signal) => c.var.runner.run(request, { signal }),
          createNativeEncoder(),
          {
            heartbeatMs,
          }
        )
      }
    )
