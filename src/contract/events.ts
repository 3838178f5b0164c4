/**
 * What a run gives back, as valibot schemas: the events a runner streams and the result it ends
 * with. They validate what crosses a wire (the runner protocol's NDJSON lines), and runner.ts
 * derives the TypeScript types from them.
 */
import * as v from 'valibot'
import { MODEL_PATTERN } from './names.js'
import { Quota } from './quota.js'
import { Amount, Usage } from './run.js'

/** A model id as a run reports it: it becomes a metric label and a header, so of a safe shape. */
const ModelId = v.pipe(v.string(), v.regex(MODEL_PATTERN, 'a model id of a safe shape'))

/** A call of a client tool the run waits on (the model's `tool_use` block). */
export const ToolCall = v.object({ id: v.string(), name: v.string(), input: v.unknown() })

export const ModelUsage = v.record(
  ModelId,
  v.object({
    inputTokens: Amount,
    outputTokens: Amount,
    cacheReadInputTokens: Amount,
    cacheCreationInputTokens: Amount,
    costUSD: Amount,
  })
)

export const RunResult = v.object({
  text: v.string(),
  /** Present when a JSON schema was given and the model produced valid output. */
  structuredOutput: v.optional(v.unknown()),
  sessionId: v.nullable(v.string()),
  /** The model id the run resolved to. */
  model: v.nullable(ModelId),
  numTurns: Amount,
  /** USD this run cost (not the session's running total), as `modelUsage` counts it. */
  totalCostUsd: Amount,
  durationMs: Amount,
  /** Tokens of this run. */
  usage: v.nullable(Usage),
  /** Tokens and USD of this run, per model id. */
  modelUsage: v.nullable(ModelUsage),
  /**
   * The client tools the model called: the run is parked until a run with `toolResults` for
   * them continues it. Cost and usage then count from the resumed part's result.
   */
  toolCalls: v.optional(v.array(ToolCall)),
  /**
   * Why the answer ended, when not simply at its end: a client tool call, the token cap, a stop
   * sequence, or the key's budget (`budget`: spent before the run was done; this is what it made).
   */
  stopReason: v.optional(
    v.picklist(['end_turn', 'tool_use', 'max_tokens', 'stop_sequence', 'budget'])
  ),
  /** The stop sequence the answer ended before. */
  stopSequence: v.optional(v.string()),
  /** The model's thinking before its answer, with the signatures the API checks when it comes back. */
  thinking: v.optional(v.array(v.object({ thinking: v.string(), signature: v.string() }))),
})

/** What a run cost, for charging it; an error thrown after the API was called carries one. */
export const RunCharge = v.object({
  costUsd: Amount,
  usage: v.nullable(Usage),
  model: v.nullable(ModelId),
  /**
   * What the run's first model call cost as it began (its input, cache reads and writes): the
   * least a run pays, which a key's budget must still hold for the next one to be let in.
   */
  firstCallUsd: v.optional(Amount),
})

const event = <T extends string, E extends v.ObjectEntries>(type: T, entries: E) =>
  v.object({ type: v.literal(type), ...entries })

export const RunEvent = v.variant('type', [
  /** The run waits for a free slot; `position` is 1 for the next in line. */
  event('queued', { position: v.number() }),
  /** A slot was granted and the work began. */
  event('started', {}),
  event('init', { sessionId: v.string(), model: ModelId }),
  event('text_delta', { text: v.string() }),
  /** The model's thinking, when the request asked to see it; a signature ends its block. */
  event('thinking_delta', { text: v.string() }),
  event('thinking_signature', { signature: v.string() }),
  event('assistant', { content: v.array(v.unknown()) }),
  /** A tool call; `client`: one of the request's own tools (its name as the client gave it). */
  event('tool_use', {
    id: v.string(),
    name: v.string(),
    input: v.unknown(),
    client: v.optional(v.boolean()),
  }),
  event('tool_result', { toolUseId: v.string(), content: v.unknown(), isError: v.boolean() }),
  /** The upstream API call failed and the CLI retries it. */
  event('retry', {
    attempt: v.number(),
    maxRetries: v.number(),
    delayMs: v.number(),
    errorStatus: v.nullable(v.number()),
    error: v.string(),
  }),
  /**
   * Tokens used so far by this run, as the API reports them while it streams: what a run that
   * ends without a result (killed, abandoned) is charged by.
   */
  event('usage', { usage: Usage, model: ModelId }),
  /** The login's subscription quota, as the API reported it for this run. */
  event('quota', { quota: Quota }),
  event('result', { result: RunResult }),
])
