/**
 * The library: Claude through any `ClaudeRunner`, without HTTP. In Node, `claude-code-api` wires
 * the local CLI runner as the default; elsewhere pass a runner (e.g. `createApiRunner`).
 */
import { toJsonSchema } from '@valibot/to-json-schema'
import * as v from 'valibot'
import type { ClaudeRunner, RunEvent, RunRequest, RunResult } from '../contract/runner.js'
import { ConfigError, NoJsonError, StructuredOutputError, UsageError } from '../errors/index.js'
import { extractJson } from '../lib/json-extract.js'
import { compileJsonSchema } from '../run/json-schema.js'
import { collectRun, promptWithImages } from '../run/result.js'
import { runToolLoop, type ToolFunctions, type ToolLoopOptions } from './tool-loop.js'
import type { CallOptions, ChatResult, ClaudeClientOptions, QueryInput } from './types.js'

export type { CallOptions, ChatResult, ClaudeClientOptions, QueryInput }

/** A streaming call: iterate its events (`break` aborts the run), or just await its text. */
export type ClaudeStream = AsyncIterable<RunEvent> & {
  /** The text deltas as they arrive. */
  textStream(): AsyncIterable<string>
  /** The final result (consumes the stream). */
  result(): Promise<ChatResult>
}

/** JSON Schema object, or a valibot schema for a typed, validated result. */
export type JsonSchemaInput = Record<string, unknown> | v.GenericSchema

let defaultRunnerFactory: (() => ClaudeRunner) | undefined
let defaultRunner: ClaudeRunner | undefined

/** Set by the Node entry: the runner `new ClaudeClient()` uses when given none. */
export const setDefaultRunnerFactory = (factory: () => ClaudeRunner) => {
  defaultRunnerFactory = factory
  defaultRunner = undefined
}

const toChatResult = (result: RunResult): ChatResult => ({
  text: result.text,
  sessionId: result.sessionId,
  model: result.model,
  usage: result.usage,
  totalCostUsd: result.totalCostUsd,
  durationMs: result.durationMs,
  numTurns: result.numTurns,
  ...(result.toolCalls && { toolCalls: result.toolCalls }),
})

const isValibotSchema = (schema: JsonSchemaInput): schema is v.GenericSchema =>
  (schema as { kind?: unknown }).kind === 'schema' && '~standard' in schema

export class ClaudeClient {
  readonly runner: ClaudeRunner
  private readonly defaults: Omit<ClaudeClientOptions, 'runner'>

  constructor({ runner, ...defaults }: ClaudeClientOptions = {}) {
    if (!runner && !defaultRunner) defaultRunner = defaultRunnerFactory?.()
    const resolved = runner ?? defaultRunner
    if (!resolved) {
      throw new ConfigError(
        'No runner: pass { runner } (e.g. createApiRunner), or use claude-code-api from Node'
      )
    }
    this.runner = resolved
    this.defaults = defaults
  }

  private request(prompt: RunRequest['prompt'], options: CallOptions = {}): RunRequest {
    const merged = { ...this.defaults, ...options }
    return {
      prompt,
      model: merged.model,
      systemPrompt: merged.system,
      maxTurns: merged.maxTurns,
      timeoutMs: merged.timeoutMs,
    }
  }

  private run(request: RunRequest, signal?: AbortSignal) {
    return collectRun(this.runner.run(request, { signal }))
  }

  /** One prompt, one answer. */
  async chat(prompt: string, options: CallOptions = {}): Promise<ChatResult> {
    return toChatResult(await this.run(this.request(prompt, options), options.signal))
  }

  /**
   * One prompt, answered with JSON. With a schema the CLI's structured output is used and the
   * value validated (a valibot schema also types it); without one, JSON is found in the text.
   */
  chatJson<S extends v.GenericSchema>(
    prompt: string,
    options: CallOptions & { schema: S }
  ): Promise<v.InferOutput<S>>
  chatJson<T = unknown>(
    prompt: string,
    options?: CallOptions & { schema?: Record<string, unknown> }
  ): Promise<T>
  async chatJson<T = unknown>(
    prompt: string,
    options: CallOptions & { schema?: JsonSchemaInput } = {}
  ): Promise<T> {
    const { schema, ...call } = options
    if (!schema) {
      const result = await this.run(this.request(prompt, call), call.signal)
      const extracted = extractJson(result.text)
      if (!extracted.found) throw new NoJsonError("No JSON found in the model's answer")
      return extracted.value as T
    }
    const jsonSchema = isValibotSchema(schema)
      ? (toJsonSchema(schema, { errorMode: 'ignore' }) as Record<string, unknown>)
      : schema
    const validator = isValibotSchema(schema) ? undefined : compileJsonSchema(schema, 'schema')
    const request = this.request(prompt, call)
    // Structured output takes one extra turn: the tool call, then its acknowledgement.
    const maxTurns = (request.maxTurns ?? 1) + 1
    const result = await this.run({ ...request, jsonSchema, maxTurns }, call.signal)
    if (isValibotSchema(schema)) {
      const parsed = v.safeParse(schema, result.structuredOutput)
      if (!parsed.success) {
        throw new StructuredOutputError('The model output does not match the schema')
      }
      return parsed.output as T
    }
    if (!validator?.validate(result.structuredOutput).valid) {
      throw new StructuredOutputError('The model output does not match the JSON schema')
    }
    return result.structuredOutput as T
  }

  /** A prompt with images, tools within policy, sessions and a budget. */
  async query(input: QueryInput, options: CallOptions = {}): Promise<ChatResult> {
    return toChatResult(await this.run(this.queryRequest(input, options), options.signal))
  }

  private queryRequest(input: QueryInput | string, options: CallOptions): RunRequest {
    if (typeof input === 'string') return this.request(input, options)
    const images = input.images?.map((i) => ({
      data: i.data,
      media_type: i.mediaType ?? 'image/png',
    }))
    return {
      ...this.request(promptWithImages(input.prompt, images), options),
      appendSystemPrompt: input.appendSystem,
      allowedTools: input.allowedTools,
      disallowedTools: input.disallowedTools,
      resumeSessionId: input.sessionId,
      persistSession: input.persistSession,
      maxBudgetUsd: input.maxBudgetUsd,
      tools: input.tools,
      toolResults: input.toolResults,
    }
  }

  /**
   * A prompt with tools you implement: each call the model makes runs your function, its
   * return value (or thrown error) goes back to the model, until the model answers.
   */
  runTools(
    input: string | QueryInput,
    functions: ToolFunctions,
    options: ToolLoopOptions = {}
  ): Promise<ChatResult> {
    return runToolLoop((query) => this.query(query, options), input, functions, options)
  }

  /** Events as they happen; `break` (or the signal) aborts the run. */
  stream(input: string | QueryInput, options: CallOptions = {}): ClaudeStream {
    const request = this.queryRequest(input, options)
    const runner = this.runner
    let used = false
    const events = (): AsyncIterable<RunEvent> => {
      if (used) throw new UsageError('A stream can be consumed once')
      used = true
      return runner.run(request, { signal: options.signal })
    }
    return {
      [Symbol.asyncIterator]: () => events()[Symbol.asyncIterator](),
      async *textStream() {
        for await (const event of events()) if (event.type === 'text_delta') yield event.text
      },
      result: async () => toChatResult(await collectRun(events())),
    }
  }
}

/** `new ClaudeClient(options).chat(prompt)`. */
export const claudeChat = async (
  prompt: string,
  options: ClaudeClientOptions & Pick<CallOptions, 'signal'> = {}
): Promise<string> => (await new ClaudeClient(options).chat(prompt, options)).text

/** `new ClaudeClient(options).chatJson(prompt, { schema })`. */
export const claudeJson = <T = unknown>(
  prompt: string,
  options: ClaudeClientOptions & Pick<CallOptions, 'signal'> & { schema?: JsonSchemaInput } = {}
): Promise<T> =>
  new ClaudeClient(options).chatJson<T>(
    prompt,
    options as CallOptions & { schema?: Record<string, unknown> }
  )
