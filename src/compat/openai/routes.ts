/**
 * OpenAI-compatible endpoints, so the official `openai` client (and tools built on it) work
 * unchanged: GET /v1/models and POST /v1/chat/completions, streaming included.
 */
import { Validator } from '@cfworker/json-schema'
import type { Context } from 'hono'
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import { describeRoute } from 'hono-openapi'
import * as v from 'valibot'
import { isClaudeError, StructuredOutputError } from '../../errors.js'
import type { AppEnv } from '../../http/env.js'
import { publicMessage } from '../../http/errors.js'
import { errorResponse } from '../../http/openapi-responses.js'
import { startRunStream } from '../../http/run-stream.js'
import { jsonBody } from '../../http/validation.js'
import { collectRun } from '../../run/result.js'
import type { ContentBlock, HistoryTurn, RunRequest, RunResult } from '../../runner.js'
import { badRequest, checkModel, imageFromDataUrl, splitTurns } from '../shared.js'

const TextPart = v.object({ type: v.literal('text'), text: v.string() })
const ImagePart = v.object({
  type: v.literal('image_url'),
  image_url: v.object({ url: v.string(), detail: v.optional(v.string()) }),
})
const Text = v.union([v.string(), v.array(TextPart)])
const Optional = v.optional(v.unknown())

const Message = v.variant('role', [
  v.object({
    role: v.picklist(['system', 'developer']),
    content: Text,
    name: v.optional(v.string()),
  }),
  v.object({
    role: v.literal('user'),
    content: v.union([v.string(), v.array(v.variant('type', [TextPart, ImagePart]))]),
    name: v.optional(v.string()),
  }),
  v.object({
    role: v.literal('assistant'),
    content: v.nullish(Text),
    tool_calls: Optional,
    function_call: Optional,
    refusal: Optional,
    name: v.optional(v.string()),
  }),
  v.object({ role: v.picklist(['tool', 'function']), content: Optional, tool_call_id: Optional }),
])

export const ChatCompletionRequest = v.object({
  model: v.string(),
  messages: v.pipe(v.array(Message), v.minLength(1)),
  stream: v.nullish(v.boolean()),
  stream_options: v.nullish(v.object({ include_usage: v.optional(v.boolean()) })),
  response_format: v.optional(
    v.variant('type', [
      v.object({ type: v.literal('text') }),
      v.object({ type: v.literal('json_object') }),
      v.object({
        type: v.literal('json_schema'),
        json_schema: v.object({
          name: v.string(),
          description: v.optional(v.string()),
          schema: v.optional(v.record(v.string(), v.unknown())),
          strict: v.nullish(v.boolean()),
        }),
      }),
    ])
  ),
  n: v.nullish(v.number()),
  logprobs: v.nullish(v.boolean()),
  tools: v.nullish(v.array(v.unknown())),
  functions: v.nullish(v.array(v.unknown())),
  modalities: v.nullish(v.array(v.string())),
  // Accepted and ignored (the CLI has no such knobs): see the README's compatibility table.
  max_tokens: v.nullish(v.number()),
  max_completion_tokens: v.nullish(v.number()),
  temperature: v.nullish(v.number()),
  top_p: v.nullish(v.number()),
  stop: v.nullish(v.union([v.string(), v.array(v.string())])),
  presence_penalty: v.nullish(v.number()),
  frequency_penalty: v.nullish(v.number()),
  seed: v.nullish(v.number()),
  user: v.nullish(v.string()),
  tool_choice: Optional,
  function_call: Optional,
  parallel_tool_calls: Optional,
  logit_bias: Optional,
  top_logprobs: Optional,
  metadata: Optional,
  store: Optional,
  reasoning_effort: Optional,
  service_tier: Optional,
  prediction: Optional,
  audio: Optional,
})
type ChatCompletionRequest = v.InferOutput<typeof ChatCompletionRequest>

const textOf = (content: string | Array<{ text: string }>) =>
  typeof content === 'string' ? content : content.map((p) => p.text).join('\n')

/** Refuses what cannot be honoured, rather than dropping it silently. */
const refuseUnsupported = (body: ChatCompletionRequest) => {
  if (body.tools?.length || body.functions?.length) {
    throw badRequest(
      'tools: tool and function calling is not supported by this server (Claude Code runs its own tools); send the request without tools'
    )
  }
  if (body.n && body.n > 1) throw badRequest('n: only one choice (n = 1) is supported')
  if (body.logprobs) throw badRequest('logprobs: log probabilities are not available')
  if (body.modalities?.some((m) => m !== 'text'))
    throw badRequest('modalities: only text output is supported')
}

const toRunRequest = (body: ChatCompletionRequest): RunRequest => {
  refuseUnsupported(body)
  const system: string[] = []
  const turns: HistoryTurn[] = []
  body.messages.forEach((message, i) => {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(textOf(message.content))
        return
      case 'user':
        turns.push({
          role: 'user',
          content:
            typeof message.content === 'string'
              ? message.content
              : message.content.map(
                  (part, j): ContentBlock =>
                    part.type === 'text'
                      ? { type: 'text', text: part.text }
                      : imageFromDataUrl(
                          part.image_url.url,
                          `messages.${i}.content.${j}.image_url.url`
                        )
                ),
        })
        return
      case 'assistant':
        if (message.tool_calls || message.function_call) {
          throw badRequest(`messages.${i}: assistant tool calls are not supported`)
        }
        turns.push({ role: 'assistant', content: message.content ? textOf(message.content) : '' })
        return
      default:
        throw badRequest(
          `messages.${i}: ${message.role} messages are not supported (no tool calling)`
        )
    }
  })
  const format = body.response_format
  const jsonSchema =
    format?.type === 'json_object'
      ? { type: 'object' }
      : format?.type === 'json_schema'
        ? (format.json_schema.schema ?? { type: 'object' })
        : undefined
  return {
    ...splitTurns(turns),
    model: body.model,
    ...(system.length > 0 && { systemPrompt: system.join('\n\n') }),
    // Structured output takes one extra turn: the tool call, then its acknowledgement.
    maxTurns: jsonSchema ? 2 : 1,
    ...(jsonSchema && { jsonSchema }),
  }
}

/** The answer's text; with a JSON format, the validated JSON as a string. */
const contentOf = (request: RunRequest, result: RunResult) => {
  if (!request.jsonSchema) return result.text
  const check = new Validator(request.jsonSchema as never, '2020-12', false).validate(
    result.structuredOutput
  )
  if (!check.valid)
    throw new StructuredOutputError('The model output does not match the JSON schema')
  return JSON.stringify(result.structuredOutput)
}

const usageOf = (result: RunResult) => {
  const u = result.usage
  const prompt = u ? u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens : 0
  const completion = u?.output_tokens ?? 0
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: u?.cache_read_input_tokens ?? 0 },
  }
}

const stream = async (
  c: Context<AppEnv>,
  body: ChatCompletionRequest,
  request: RunRequest,
  heartbeatMs: number
) => {
  const { controller, signal, events, first } = await startRunStream(c, c.var.runner, request)
  const base = {
    id: `chatcmpl-${crypto.randomUUID()}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    system_fingerprint: null,
  }
  return streamSSE(c, async (sse) => {
    sse.onAbort(() => controller.abort())
    const send = (data: object) => sse.writeSSE({ data: JSON.stringify(data) })
    const chunk = (delta: object, finish: string | null = null) =>
      send({ ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })
    const heartbeat = setInterval(() => void sse.write(': keep-alive\n\n'), heartbeatMs)
    try {
      await chunk({ role: 'assistant', content: '' })
      for (let step = first; !step.done; step = await events.next()) {
        const event = step.value
        // With a JSON format the answer comes as structured output, sent whole at the end.
        if (event.type === 'text_delta' && event.text && !request.jsonSchema) {
          await chunk({ content: event.text })
        } else if (event.type === 'result') {
          if (request.jsonSchema) await chunk({ content: contentOf(request, event.result) })
          await chunk({}, 'stop')
          if (body.stream_options?.include_usage) {
            await send({ ...base, choices: [], usage: usageOf(event.result) })
          }
          await sse.writeSSE({ data: '[DONE]' })
        }
      }
    } catch (error) {
      if (!signal.aborted) {
        await send({
          error: {
            message: publicMessage(error),
            type: 'server_error',
            param: null,
            code: isClaudeError(error) ? error.type : 'internal_error',
          },
        })
      }
    } finally {
      clearInterval(heartbeat)
      await events.return?.()
    }
  })
}

export const createOpenAIRoutes = ({ heartbeatMs }: { heartbeatMs: number }) =>
  new Hono<AppEnv>()
    .get(
      '/models',
      describeRoute({
        summary: 'Models (OpenAI list shape; Anthropic shape with an anthropic-version header)',
        tags: ['Compatible'],
      }),
      async (c) => {
        const models = await c.var.runner.models()
        if (c.req.header('anthropic-version')) {
          const data = models.map((m) => ({
            type: 'model',
            id: m.id,
            display_name: m.name,
            created_at: '1970-01-01T00:00:00Z',
          }))
          return c.json({
            data,
            has_more: false,
            first_id: data[0]?.id ?? null,
            last_id: data.at(-1)?.id ?? null,
          })
        }
        const ids = [...new Set(models.flatMap((m) => [m.id, m.api_id]))]
        return c.json({
          object: 'list',
          data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'anthropic' })),
        })
      }
    )
    .post(
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
        await checkModel(c.var.runner, body.model)
        if (body.stream) return stream(c, body, request, heartbeatMs)
        const result = await collectRun(c.var.runner.run(request, { signal: c.req.raw.signal }))
        return c.json({
          id: `chatcmpl-${crypto.randomUUID()}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          system_fingerprint: null,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: contentOf(request, result), refusal: null },
              finish_reason: 'stop',
              logprobs: null,
            },
          ],
          usage: usageOf(result),
        })
      }
    )
