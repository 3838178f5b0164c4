/**
 * What a run is charged: the CLI's own figure when it reported one (results, and error results),
 * else an estimate from the tokens the API reported while streaming, at the model's list prices
 * (for runs that were killed or abandoned before the CLI could say).
 */
import type { ModelInfo, RunCharge, RunResult, Usage } from '../contract/runner.js'

export const chargeOf = (result: RunResult): RunCharge => ({
  costUsd: result.totalCostUsd,
  usage: result.usage,
  model: result.model,
})

/** `$1.25` → 1.25 (USD per million tokens); a price below zero is no price. */
const price = (text: string | null) => {
  const value = Number(text?.replace(/^\$/, ''))
  return Number.isFinite(value) && value >= 0 ? value : undefined
}

type Prices = { input: number; output: number }

/**
 * When no model lists its prices (the CLI's descriptions changed, or the list could not be
 * read): the highest tier's list prices, USD per million tokens, so no billed token is free.
 */
export const FALLBACK_PRICES: Prices = { input: 15, output: 75 }

/** The model's prices, or (never undercharging) the highest known when it is not listed. */
const pricesFor = (model: string, models: readonly ModelInfo[]): Prices => {
  const known = models.flatMap((m) => {
    const input = price(m.input_price)
    const output = price(m.output_price)
    return input === undefined || output === undefined ? [] : [{ m, input, output }]
  })
  const exact = known.find(({ m }) => m.api_id === model || m.id === model)
  if (exact) return exact
  if (known.length === 0) return FALLBACK_PRICES
  return {
    input: Math.max(...known.map((k) => k.input)),
    output: Math.max(...known.map((k) => k.output)),
  }
}

/** Anthropic's list-price multipliers for cache writes and reads, relative to input tokens. */
const CACHE_WRITE = 1.25
const CACHE_READ = 0.1
/** Output tokens' list price relative to input tokens, the same on every Claude tier. */
const OUTPUT_RATIO = 5

/**
 * The part of a run's cost its first call had: the calls' tokens weighed at list-price ratios
 * (every Claude tier prices output at 5x input), so no price list is needed, only the run's cost.
 */
export const firstCallCost = (charge: RunCharge, first: Usage): number | undefined => {
  const weight = (u: Usage) =>
    u.input_tokens +
    u.cache_creation_input_tokens * CACHE_WRITE +
    u.cache_read_input_tokens * CACHE_READ +
    u.output_tokens * OUTPUT_RATIO
  const total = charge.usage ? weight(charge.usage) : 0
  if (!(total > 0) || !(charge.costUsd > 0)) return undefined
  return charge.costUsd * Math.min(1, weight(first) / total)
}

export const estimateCharge = (
  usage: Usage,
  model: string,
  models: readonly ModelInfo[]
): RunCharge => {
  const prices = pricesFor(model, models)
  const costUsd =
    (usage.input_tokens * prices.input +
      usage.cache_creation_input_tokens * prices.input * CACHE_WRITE +
      usage.cache_read_input_tokens * prices.input * CACHE_READ +
      usage.output_tokens * prices.output) /
    1_000_000
  return { costUsd, usage, model }
}
