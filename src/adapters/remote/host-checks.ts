/**
 * What a front door does not take on a runner host's word: a plain-HTTP address across the
 * internet, and a cost that does not fit the tokens the run reported.
 */

import type { ModelInfo, RunResult, Usage } from '../../contract/runner.js'
import { ConfigError } from '../../errors/index.js'
import { isPrivateHost } from '../../lib/addresses.js'
import type { Logger } from '../../lib/logger.js'
import { estimateCharge } from '../../run/charge.js'

/**
 * Plain HTTP only inside a private network: across the internet it would carry the runner token
 * and every prompt in clear text.
 */
export const assertPrivateOrHttps = (url: string) => {
  const { protocol, hostname } = new URL(url)
  if (protocol === 'http:' && !isPrivateHost(hostname)) {
    throw new ConfigError(
      `runner host ${url} is plain HTTP to a public address: the runner token and every prompt would cross the network in clear text; use https, or a private address`
    )
  }
}

/** The tokens of every model the run used (sub-agents' included), else the run's own. */
const tokensOf = (result: RunResult): Usage | null => {
  if (!result.modelUsage) return result.usage
  const sum: Usage = {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
  }
  for (const usage of Object.values(result.modelUsage)) {
    sum.input_tokens += usage.inputTokens
    sum.output_tokens += usage.outputTokens
    sum.cache_read_input_tokens += usage.cacheReadInputTokens
    sum.cache_creation_input_tokens += usage.cacheCreationInputTokens
  }
  return sum
}

/**
 * The result with a cost that fits its tokens: no more than they cost at the highest tier's
 * prices (with room to spare), and, when the model's prices are known, no less than half what
 * they cost at them. A cost outside is replaced by the estimate, and logged.
 */
export const saneResult = (
  result: RunResult,
  models: readonly ModelInfo[],
  logger: Logger,
  host: string
): RunResult => {
  const tokens = tokensOf(result)
  if (!tokens) return result
  const model = result.model ?? ''
  const ceiling = estimateCharge(tokens, model, []).costUsd * 1.5 + 1e-6
  const priced = models.filter((m) => m.api_id === model || m.id === model)
  const expected = priced.length > 0 ? estimateCharge(tokens, model, priced).costUsd : undefined
  const floor = expected === undefined ? 0 : expected * 0.5
  if (result.totalCostUsd <= ceiling && result.totalCostUsd >= floor) return result
  const costUsd = expected ?? estimateCharge(tokens, model, []).costUsd
  logger.warn('a runner host reported a cost its tokens do not explain; charged the estimate', {
    host,
    reported: result.totalCostUsd,
    charged: costUsd,
  })
  return { ...result, totalCostUsd: costUsd }
}
