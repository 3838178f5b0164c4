/**
 * A run that waits for the client's tool results is charged for its part so far when it parks:
 * an estimate at list prices from the tokens the API reported (the CLI reports the cost only
 * when the turn ends), so a run left waiting is not free. When the turn ends, its result counts
 * only the rest of the CLI's figure for the whole turn.
 */

import type { ModelInfo, RunResult } from '../../../contract/runner.js'
import { isClaudeError } from '../../../errors/index.js'
import { estimateCharge } from '../../../run/charge.js'
import type { CliTranslator } from '../cli-protocol/translator.js'

/** The parked part's cost (its own tokens), and what the turn has been charged with it. */
export const chargePart = (part: RunResult, chargedBefore: number, models: ModelInfo[]) => {
  const costUsd =
    part.usage && part.model ? estimateCharge(part.usage, part.model, models).costUsd : 0
  return { costUsd, charged: chargedBefore + costUsd }
}

/** The turn's result (or the error that ends it), less what its parked parts were charged. */
export const finishTurn = (translator: CliTranslator, charged = 0): RunResult => {
  try {
    const result = translator.finish()
    return { ...result, totalCostUsd: Math.max(0, result.totalCostUsd - charged) }
  } catch (error) {
    if (isClaudeError(error) && error.billed) {
      error.billed = { ...error.billed, costUsd: Math.max(0, error.billed.costUsd - charged) }
    }
    throw error
  }
}
