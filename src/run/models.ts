/**
 * Model names: which ones a request may ask for, and the alias table as the CLI reports it.
 */
import type { ModelInfo } from '../runner.js'

/** Aliases the CLI resolves itself; ids change with CLI versions, so we never hard-code them. */
export const MODEL_ALIASES = ['haiku', 'sonnet', 'opus', 'fable', 'default'] as const

/**
 * A model id of a safe shape: letters, digits and `.-_:[]`, not starting with `-`, so it can
 * never be read as a CLI flag.
 */
export const MODEL_PATTERN = /^[A-Za-z0-9_.:[\]][A-Za-z0-9_.:[\]-]{0,127}$/

export const isSafeModel = (model: string) => MODEL_PATTERN.test(model)

/** Built-in tool names as the CLI knows them (`Bash`, `Read`, `WebFetch`, …). */
export const TOOL_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/

type CliModel = {
  value?: unknown
  resolvedModel?: unknown
  displayName?: unknown
  description?: unknown
}

/** Reads `$1/$5 per Mtok` out of the CLI's model description. */
const parsePrices = (description: string) => {
  const match = /(\$[\d.]+)\/(\$[\d.]+) per Mtok/.exec(description)
  return { input_price: match?.[1] ?? null, output_price: match?.[2] ?? null }
}

export const toModelInfo = (model: CliModel): ModelInfo | null => {
  if (typeof model.value !== 'string' || typeof model.resolvedModel !== 'string') return null
  const description = typeof model.description === 'string' ? model.description : ''
  return {
    id: model.value,
    api_id: model.resolvedModel,
    name: typeof model.displayName === 'string' ? model.displayName : model.value,
    description,
    ...parsePrices(description),
  }
}
