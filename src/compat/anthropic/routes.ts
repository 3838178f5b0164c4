/**
 * Anthropic-compatible endpoint, so the official `@anthropic-ai/sdk` client works unchanged:
 * POST /v1/messages, streaming with the Messages API's event sequence.
 */
import type { Context } from 'hono'
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import { describeRoute } from 'hono-openapi'
import * as v from 'valibot'
import { isClaudeError } from '../../errors.js'
import type { AppEnv } from '../../http/env.js'
import { errorJson, publicMessage } from '../../http/errors.js'
import { errorResponse } from '../../http/openapi-responses.js'
import { startRunStream } from '../../http/run-stream.js'
import { jsonBody } from '../../http/validation.js'
import { collectRun } from '../../run/result.js'
import type { ContentBlock, RunRequest, RunResult } from '../../runner.js'
import { badRequest, checkModel, IMAGE_TYPES, splitTurns } from '../shared.js'

const Optional = v.optional(v.unknown())
const TextBlock = v.object({
  type: v.literal('text'),
  text: v.string(),
  cache_control: Optional,
  citations: Optional,
})
const ImageBlock = v.object({
  type: v.literal('image'),
  source: v.variant('type', [
    v.object({ type: v.literal('base64'), media_type: v.picklist(IMAGE_TYPES), data: v.string() }),
    v.object({ type: v.literal('url'), url: v.string() }),
  ]),
  cache_control: Optional,
})

export const MessagesRequest = v.object({
  model: v.string(),
  max_tokens: v.pipe(v.number(), v.integer(), v.minValue(1)),
  messages: v.pipe(
    v.array(
      v.object({
        role: v.picklist(['user', 'assistant']),
        content: v.union([v.string(), v.array(v.variant('type', [TextBlock, ImageBlock]))]),
      })
    ),
    v.minLength(1)
  ),
  system: v.optional(v.union([v.string(), v.array(TextBlock)])),
  stream: v.optional(v.boolean()),
  tools: v.optional(v.array(v.unknown())),
  // Accepted and ignored (the CLI has no such knobs): see the README's compatibility table.
  temperature: v.optional(v.number()),
  top_p: v.optional(v.number()),
  top_k: v.optional(v.number()),
  stop_sequences: v.optional(v.array(v.string())),
  metadata: Optional,
  tool_choice: Optional,
  thinking: Optional,
  service_tier: Optional,
})
type MessagesRequest = v.InferOutput<typeof MessagesRequest>

const toRunRequest = (body: MessagesRequest): RunRequest => {
  if (body.tools?.length) {
    throw badRequest(
      'tools: tool use is not supported by this server (Claude Code runs its own tools); send the request without tools'
    )
  }
  const turns = body.messages.map((message, i) => ({
    role: message.role,
    content:
      typeof message.content === 'string'
        ? message.content
        : message.content.map((block, j): ContentBlock => {
            if (block.type === 'text') return { type: 'text', text: block.text }
            if (block.source.type === 'url') {
              throw badRequest(
                `messages.${i}.content.${j}.source: image URLs are not fetched by this server; send base64 image data`
              )
            }
            return { type: 'image', source: block.source }
          }),
  }))
  const system =
    typeof body.system === 'string' ? body.system : body.system?.map((b) => b.text).join('\n\n')
  return {
    ...splitTurns(turns),
    model: body.model,
    maxTurns: 1,
    ...(system && { systemPrompt: system }),
  }
}

const usageOf = (result: RunResult) => ({
  input_tokens: result.usage?.input_tokens ?? 0,
  output_tokens: result.usage?.output_tokens ?? 0,
  cache_creation_input_tokens: result.usage?.cache_creation_input_tokens ?? 0,
  cache_read_input_tokens: result.usage?.cache_read_input_tokens ?? 0,
})

const messageId = () => `msg_${crypto.randomUUID().replaceAll('-', '')}`

const stream = async (
  c: Context<AppEnv>,
  body: MessagesRequest,
  request: RunRequest,
  heartbeatMs: number
) => {
  const { controller, signal, events, first } = await startRunStream(c, c.var.runner, request)
  return streamSSE(c, async (sse) => {
    sse.onAbort(() => controller.abort())
    const send = (event: string, data: object) =>
      sse.writeSSE({ event, data: JSON.stringify({ type: event, ...data }) })
    // Pings keep proxies from closing a quiet stream, as the real API does.
    const heartbeat = setInterval(() => void send('ping', {}), heartbeatMs)
    let blockOpen = false
    const openBlock = async () => {
      if (blockOpen) return
      blockOpen = true
      await send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } })
    }
    try {
      await send('message_start', {
        message: {
          id: messageId(),
          type: 'message',
          role: 'assistant',
          model: body.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: 0,
            output_tokens: 0,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
          },
        },
      })
      await send('ping', {})
      let streamed = false
      for (let step = first; !step.done; step = await events.next()) {
        const event = step.value
        if (event.type === 'text_delta' && event.text) {
          await openBlock()
          streamed = true
          await send('content_block_delta', {
            index: 0,
            delta: { type: 'text_delta', text: event.text },
          })
        } else if (event.type === 'result') {
          await openBlock()
          if (!streamed && event.result.text) {
            await send('content_block_delta', {
              index: 0,
              delta: { type: 'text_delta', text: event.result.text },
            })
          }
          await send('content_block_stop', { index: 0 })
          await send('message_delta', {
            delta: { stop_reason: 'end_turn', stop_sequence: null },
            usage: usageOf(event.result),
          })
          await send('message_stop', {})
        }
      }
    } catch (error) {
      if (!signal.aborted) {
        const overloaded = isClaudeError(error) && error.type === 'overloaded'
        await send('error', {
          error: {
            type: overloaded ? 'overloaded_error' : 'api_error',
            message: publicMessage(error),
          },
        })
      }
    } finally {
      clearInterval(heartbeat)
      await events.return?.()
    }
  })
}

export const createAnthropicRoutes = ({ heartbeatMs }: { heartbeatMs: number }) =>
  new Hono<AppEnv>()
    .post(
      '/messages/count_tokens',
      describeRoute({ summary: 'Not supported (404)', tags: ['Compatible'] }),
      (c) =>
        errorJson(c, 404, {
          detail:
            'count_tokens is not supported: Claude Code cannot count tokens without running the model',
          type: 'not_found',
        })
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
        const request = toRunRequest(body)
        await checkModel(c.var.runner, body.model)
        if (body.stream) return stream(c, body, request, heartbeatMs)
        const result = await collectRun(c.var.runner.run(request, { signal: c.req.raw.signal }))
        return c.json({
          id: messageId(),
          type: 'message',
          role: 'assistant',
          model: body.model,
          content: [{ type: 'text', text: result.text }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: usageOf(result),
        })
      }
    )
