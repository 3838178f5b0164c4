/**
 * A process's shape: what is fixed at spawn that a warm process must match (model, max turns,
 * effort, thinking, the output token cap, the login it runs on). Runs with built-in tools, budgets or kept sessions
 * have none: they start cold. The client's own tools travel on stdin, so a run with them can
 * take a fresh process, or one kept for the same tools (tenant.ts). A run with earlier turns
 * has a shape too, but only the process that holds those turns serves it (process-source.ts).
 */
import type { RunRequest } from '../../../contract/runner.js'
import type { Conversation } from '../../../run/conversation-key.js'

export type WarmShape = Pick<
  RunRequest,
  'model' | 'maxTurns' | 'effort' | 'thinking' | 'maxOutputTokens' | 'login'
>

/** The shape a run needs, or undefined when it must start cold. */
export const warmShapeOf = (request: RunRequest): WarmShape | undefined => {
  if (
    request.allowedTools?.length ||
    request.disallowedTools?.length ||
    request.maxBudgetUsd !== undefined ||
    request.resumeSessionId ||
    request.persistSession ||
    request.toolResults?.length
  ) {
    return undefined
  }
  const { model, maxTurns, effort, thinking, maxOutputTokens, login } = request
  return { model, maxTurns, effort, thinking, maxOutputTokens, ...(login && { login }) }
}

/** Where a process waits: its shape, and the tenant it serves (none: a fresh one, for anyone). */
export const poolKey = (shape: WarmShape, tenant?: string) =>
  JSON.stringify([
    shape.model ?? null,
    shape.maxTurns ?? null,
    shape.effort ?? null,
    shape.thinking ?? null,
    shape.maxOutputTokens ?? null,
    shape.login ?? null,
    tenant ?? null,
  ])

/** Where a run's process comes from: a sandbox, a warm shape, a tenant who may reuse it. */
export type RunPlace = { sandbox?: string; shape?: WarmShape; tenant?: string }

/** Where a run's process came from (the `claude_code_api.process.origin` of its span). */
export type ProcessOrigin = 'parked' | 'held' | 'reused' | 'warm' | 'cold' | 'resumed'

/** Where a run's process goes when the run is over. */
export type Outcome = {
  shape?: WarmShape
  tenant?: string
  /** The session id of a run that ended cleanly (its process may be reset and reused). */
  completed: string | null
  /** A conversation's turn: the conversation after it, which its process may hold. */
  conversation?: Conversation
  owner?: string
}
