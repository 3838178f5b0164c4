/**
 * The OpenAI Responses API, so the official `openai` client, the OpenAI Agents SDK and Codex CLI
 * work unchanged: POST /v1/responses (streaming included), and the stored responses behind
 * `previous_response_id`: GET and DELETE /v1/responses/{id}, GET /v1/responses/{id}/input_items.
 */
import { Hono } from 'hono'
import { describeRoute } from 'hono-openapi'
import type { RunEvent, RunResult } from '../../contract/runner.js'
import { BadRequestError, NotFoundError } from '../../errors/index.js'
import type { AppEnv } from '../../http/env.js'
import { headerValue } from '../../http/header-value.js'
import { errorResponse } from '../../http/openapi-responses.js'
import { pipeRun } from '../../http/stream-pipe.js'
import { jsonBody } from '../../http/validation.js'
import { createHeldBudget, type HeldBudget, heldBytes } from '../../lib/held-budget.js'
import { assistantTurn } from '../../run/content.js'
import { compileJsonSchema } from '../../run/json-schema.js'
import { collectRun } from '../../run/result.js'
import { structuredAnswer } from '../openai/request.js'
import { checkModel, nameIgnored } from '../shared.js'
import { createBackgroundRuns } from './background.js'
import { type BackgroundLog, createMemoryBackgroundLog } from './background-log.js'
import { followStream, outliveRequest } from './follow.js'
import { IGNORED, itemsOf, toRunRequest, turnsThrough } from './request.js'
import { createResponseBuilder, type ResponseBuilder } from './response.js'
import { ResponsesRequest } from './schemas.js'
import { createResponseStore, type ResponseStore, type StoredResponse } from './store.js'
import { createResponsesEncoder } from './stream-encoder.js'
import { leftOutTools } from './tools.js'

/** Calls `done` with the run's result once its consumer has taken it (or stopped). */
async function* onResult(
  events: AsyncIterable<RunEvent>,
  done: (result: RunResult) => Promise<void>
) {
  let result: RunResult | undefined
  try {
    for await (const event of events) {
      if (event.type === 'result') result = event.result
      yield event
    }
  } finally {
    if (result) await done(result)
  }
}

/** Feeds a run's events to the builder as they pass. */
async function* feed(events: AsyncIterable<RunEvent>, builder: ResponseBuilder) {
  for await (const event of events) {
    if (event.type !== 'result') builder.event(event)
    yield event
  }
}

/** What a stored response keeps of the input: what the model saw (not reasoning items). */
const keptInput = (body: ResponsesRequest, id: string) =>
  itemsOf(body)
    .filter((item) => item.type !== 'reasoning')
    .map((item, i) => ({ id: `${id}_in_${i}`, ...item }))

/** A response to be stored whose input alone is larger than a record may be is refused now. */
const checkStorable = (body: ResponsesRequest, prior: StoredResponse | undefined, max: number) => {
  if (body.store === false) return
  const bytes = heldBytes(keptInput(body, '')) + heldBytes(turnsThrough(body, prior))
  if (bytes <= max) return
  const mib = (n: number) => `${Math.ceil(n / 1024 / 1024)} MiB`
  throw new BadRequestError(
    `store: this conversation (${mib(bytes)}) is more than a stored response keeps (${mib(max)}); send store: false with the whole input each turn`
  )
}

export const createResponsesRoutes = ({
  heartbeatMs,
  held = createHeldBudget(),
  store = createResponseStore({ held }),
  backgroundLog = createMemoryBackgroundLog({ held }),
}: {
  heartbeatMs: number
  /** The memory budget the in-memory store and log share (held-budget.ts). */
  held?: HeldBudget
  store?: ResponseStore
  backgroundLog?: BackgroundLog
}) => {
  const background = createBackgroundRuns(backgroundLog)
  return new Hono<AppEnv>()
    .post(
      '/responses',
      describeRoute({
        summary: 'OpenAI Responses, answered by Claude through Claude Code',
        tags: ['Compatible'],
        responses: {
          200: { description: 'A response, or its event stream with stream: true' },
          400: errorResponse('Invalid or unsupported request (OpenAI error shape)'),
          404: errorResponse('Unknown model, or previous_response_id not found'),
        },
      }),
      jsonBody(ResponsesRequest),
      async (c) => {
        const body = c.req.valid('json')
        const owner = c.var.apiKey?.hash ?? ''
        await checkModel(c.var.runner, body.model)
        const prior = body.previous_response_id
          ? await store.get(body.previous_response_id, owner)
          : undefined
        const available = (await c.var.runner.tools?.()) ?? []
        const request = toRunRequest(body, prior, available)
        checkStorable(body, prior, store.maxRecordBytes)
        const validator =
          request.jsonSchema && compileJsonSchema(request.jsonSchema, 'text.format.schema')
        nameIgnored(c, body, IGNORED)
        const leftOut = leftOutTools(body, available)
        if (leftOut.length > 0) c.header('x-ignored-tools', headerValue(leftOut.join(', ')))
        const builder = createResponseBuilder(body)
        const remember = async (result: RunResult) => {
          const final = builder.final()
          if (body.store === false || !final) return
          await store.put(builder.id, {
            owner,
            body: final,
            input: keptInput(body, builder.id),
            turns: [
              ...turnsThrough(body, prior),
              assistantTurn(result.text, result.toolCalls ?? []),
            ],
            calls: result.toolCalls ?? [],
            at: Date.now(),
          })
        }
        const start = (signal: AbortSignal) => {
          const events = c.var.runner.run(request, { signal })
          return validator ? structuredAnswer(events, validator) : events
        }
        if (body.background) {
          // The run outlives this request; its events are kept for the client to follow.
          const { task } = await background.start(builder.id, owner, builder, start, remember)
          outliveRequest(c, task)
          if (body.stream)
            return followStream(c, background, { id: builder.id, owner }, -1, heartbeatMs)
          return c.json(builder.current())
        }
        if (body.stream) {
          // Stored once the encoder has built the final response from the result.
          const stream = (signal: AbortSignal) => onResult(start(signal), remember)
          return pipeRun(c, stream, createResponsesEncoder(builder), { heartbeatMs })
        }
        // The same builder as a stream, so the items (reasoning, message, calls) are the same.
        builder.start()
        const result = await collectRun(feed(start(c.req.raw.signal), builder))
        builder.finish(result)
        await remember(result)
        return c.json(builder.final())
      }
    )
    .get(
      '/responses/:id',
      describeRoute({
        summary:
          'A stored response; a background one as it stands, or streamed (`stream=true&starting_after=N`)',
        tags: ['Compatible'],
      }),
      async (c) => {
        const id = c.req.param('id')
        const owner = c.var.apiKey?.hash ?? ''
        const run = await background.get(id, owner)
        if (c.req.query('stream') === 'true') {
          if (!run)
            throw new NotFoundError(
              `No background response '${id}' to stream (not one, or ended over an hour ago)`
            )
          const after = Number(c.req.query('starting_after') ?? -1)
          if (!Number.isInteger(after))
            throw new BadRequestError('starting_after: must be a sequence number')
          return followStream(c, background, { id, owner }, after, heartbeatMs)
        }
        return c.json(run ?? (await store.get(id, owner)).body)
      }
    )
    .post(
      '/responses/:id/cancel',
      describeRoute({ summary: 'Stop a background response', tags: ['Compatible'] }),
      async (c) => {
        return c.json(await background.cancel(c.req.param('id'), c.var.apiKey?.hash ?? ''))
      }
    )
    .get(
      '/responses/:id/input_items',
      describeRoute({ summary: "A stored response's input items", tags: ['Compatible'] }),
      async (c) => {
        const { input } = await store.get(c.req.param('id'), c.var.apiKey?.hash ?? '')
        const data = [...input].reverse()
        return c.json({
          object: 'list',
          data,
          first_id: data[0]?.id ?? null,
          last_id: data.at(-1)?.id ?? null,
          has_more: false,
        })
      }
    )
    .delete(
      '/responses/:id',
      describeRoute({ summary: 'Delete a stored response', tags: ['Compatible'] }),
      async (c) => {
        const id = c.req.param('id')
        await store.delete(id, c.var.apiKey?.hash ?? '')
        return c.json({ id, object: 'response', deleted: true })
      }
    )
}
