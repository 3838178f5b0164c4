/**
 * A process's shape: the few flags fixed at spawn that a warm process must match (model and max
 * turns). Runs with tools, budgets, kept sessions or earlier turns have none: they start cold.
 */
import type { RunRequest } from '../../../runner.js'

export type WarmShape = { model?: string; maxTurns?: number }

/** The shape a run needs, or undefined when it must start cold. */
export const warmShapeOf = (request: RunRequest): WarmShape | undefined => {
  if (
    request.allowedTools?.length ||
    request.disallowedTools?.length ||
    request.maxBudgetUsd !== undefined ||
    request.resumeSessionId ||
    request.persistSession ||
    request.history?.length ||
    request.tools?.length ||
    request.toolResults?.length
  ) {
    return undefined
  }
  return { model: request.model, maxTurns: request.maxTurns }
}

/** Where a process waits: its shape, and the tenant it serves (none: a fresh one, for anyone). */
export const poolKey = (shape: WarmShape, tenant?: string) =>
  JSON.stringify([shape.model ?? null, shape.maxTurns ?? null, tenant ?? null])
