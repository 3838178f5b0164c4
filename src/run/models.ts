/** The alias table as the CLI reports it (names.ts says which names a request may use). */
import type { ModelInfo } from '../contract/runner.js'

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
