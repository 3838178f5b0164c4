/**
 * Helpers every route shares: turning a validated body into a `RunRequest`, and draining a run
 * into its result.
 */

import type { ImageMediaType } from '../contract/run.js'
import type { ContentBlock, RunEvent, RunRequest, RunResult } from '../contract/runner.js'
import { CliProtocolError } from '../errors/index.js'

/** Consumes a run and returns its result; failures are thrown by the run itself. */
export const collectRun = async (events: AsyncIterable<RunEvent>): Promise<RunResult> => {
  for await (const event of events) {
    if (event.type === 'result') return event.result
  }
  throw new CliProtocolError('The run ended without a result')
}

/** `""` counts as no system prompt, as in the original. */
export const nonEmpty = (value: string | null | undefined) => (value ? value : undefined)

export const promptWithImages = (
  prompt: string,
  images: Array<{ data: string; media_type: ImageMediaType }> | null | undefined
): RunRequest['prompt'] => {
  if (!images?.length) return prompt
  const blocks: ContentBlock[] = images.map((image) => ({
    type: 'image',
    source: { type: 'base64', media_type: image.media_type, data: image.data },
  }))
  blocks.push({ type: 'text', text: prompt })
  return blocks
}

/** The fields the original's responses carry, plus what this server adds. */
/** The answer was cut at a limit: the token cap, or the key's budget spent before it was done. */
export const cutAtLimit = (result: RunResult) =>
  result.stopReason === 'max_tokens' || result.stopReason === 'budget'

export const chatResponse = (model: string, result: RunResult) => ({
  text: result.text,
  model,
  is_error: false,
  error_message: null,
  stop_reason: result.stopReason ?? (result.toolCalls?.length ? 'tool_use' : 'end_turn'),
  session_id: result.sessionId,
  usage: result.usage,
  total_cost_usd: result.totalCostUsd,
  duration_ms: result.durationMs,
})
