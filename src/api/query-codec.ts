/**
 * The native `/llm/query` body and a RunRequest, both ways in one place: the server reads a body
 * into a run (api/query.ts), and the runner over this API (adapters/api.ts) writes a run back
 * into a body. Every RunRequest field is one of: carried (with its body name), refused by the
 * writer (the body has no such field: refusing beats dropping), or set by the server from who
 * asks; a unit test holds every field of the schema to one of the three.
 */

import type { RunRequest } from '../contract/runner.js'
import { PolicyError, ValidationError } from '../errors/index.js'
import { nonEmpty, promptWithImages } from '../run/result.js'
import type { QueryRequest } from './schemas.js'

/** RunRequest fields the body has no room for. */
export const REFUSED_FIELDS = [
  'jsonSchema',
  'maxOutputTokens',
  'effort',
  'thinking',
] as const satisfies ReadonlyArray<keyof RunRequest>

/** RunRequest fields the server sets itself (a client never sends them). */
export const SERVER_FIELDS = [
  'owner',
  'conversation',
  'login',
  'carriedTranscript',
] as const satisfies ReadonlyArray<keyof RunRequest>

/** The run a body asks for. */
export const runRequestOf = (body: QueryRequest): RunRequest => {
  if (body.continue_session && !body.session_id) {
    // The original resumed "the most recent session" of the server, whoever owned it.
    throw new ValidationError(
      'continue_session: is not supported; pass the session_id returned by an earlier /llm/query with persist_session: true',
      { errors: [{ field: 'continue_session', message: 'is not supported' }] }
    )
  }
  return {
    prompt: promptWithImages(body.prompt, body.images),
    ...(body.history?.length && { history: body.history }),
    systemPrompt: nonEmpty(body.system),
    appendSystemPrompt: nonEmpty(body.append_system),
    model: body.model,
    // A tool round trip takes two turns at least: with tools, 1 (the default) means 10.
    maxTurns: body.tools?.length && body.max_turns < 2 ? 10 : body.max_turns,
    allowedTools: body.allowed_tools ?? undefined,
    disallowedTools: body.disallowed_tools ?? undefined,
    resumeSessionId: body.session_id ?? undefined,
    persistSession: body.persist_session,
    maxBudgetUsd: body.max_budget_usd ?? undefined,
    timeoutMs: body.timeout_ms,
    ...(body.tools?.length && {
      tools: body.tools.map((tool) => ({
        name: tool.name,
        ...(tool.description && { description: tool.description }),
        inputSchema: tool.input_schema,
      })),
    }),
    ...(body.tool_results?.length && {
      toolResults: body.tool_results.map((r) => ({
        toolUseId: r.tool_use_id,
        content: r.content,
        ...(r.is_error && { isError: true }),
      })),
    }),
  }
}

/** The body that asks for `request`; what the body cannot carry is refused by name. */
export const queryBodyOf = (request: RunRequest) => {
  const unsendable = REFUSED_FIELDS.filter((field) => request[field] !== undefined)
  if (unsendable.length > 0) {
    throw new PolicyError(
      `createApiRunner cannot send ${unsendable.join(', ')}: the public /llm API has no such fields`
    )
  }
  const prompt = request.prompt
  if (typeof prompt !== 'string' && prompt.some((b) => b.type === 'document')) {
    throw new PolicyError(
      'createApiRunner cannot send documents: the public /llm API takes images only'
    )
  }
  const text =
    typeof prompt === 'string'
      ? prompt
      : prompt
          .filter((b) => b.type === 'text')
          .map((b) => b.text)
          .join('\n')
  const images =
    typeof prompt === 'string'
      ? undefined
      : prompt.flatMap((b) =>
          b.type === 'image' ? [{ data: b.source.data, media_type: b.source.media_type }] : []
        )
  return {
    prompt: text,
    ...(images?.length && { images }),
    ...(request.history?.length && { history: request.history }),
    ...(request.systemPrompt !== undefined && { system: request.systemPrompt }),
    ...(request.appendSystemPrompt !== undefined && { append_system: request.appendSystemPrompt }),
    ...(request.model !== undefined && { model: request.model }),
    ...(request.maxTurns !== undefined && { max_turns: request.maxTurns }),
    ...(request.allowedTools && { allowed_tools: request.allowedTools }),
    ...(request.disallowedTools && { disallowed_tools: request.disallowedTools }),
    ...(request.resumeSessionId && { session_id: request.resumeSessionId }),
    ...(request.persistSession && { persist_session: true }),
    ...(request.maxBudgetUsd !== undefined && { max_budget_usd: request.maxBudgetUsd }),
    ...(request.timeoutMs !== undefined && { timeout_ms: request.timeoutMs }),
    ...(request.tools?.length && {
      tools: request.tools.map((tool) => ({
        name: tool.name,
        ...(tool.description && { description: tool.description }),
        input_schema: tool.inputSchema,
      })),
    }),
    ...(request.toolResults?.length && {
      tool_results: request.toolResults.map((r) => ({
        tool_use_id: r.toolUseId,
        content: r.content,
        ...(r.isError && { is_error: true }),
      })),
    }),
  }
}
