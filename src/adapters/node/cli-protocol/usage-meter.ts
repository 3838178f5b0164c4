import type { RunEvent, Usage } from '../../../contract/runner.js'
import type { CliMessage } from './message.js'

/**
 * Adds up the tokens of a run's API calls from the stream, sub-agents' included (each call is
 * a stream of its own, by the tool call that started it): input and cache tokens arrive with a
 * call's `message_start`, output tokens with its `message_delta`.
 */
export const createUsageMeter = () => {
  const done: Usage = {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
  }
  /** The call in progress of each stream (the run's own is `''`). */
  const current = new Map<string, Usage>()
  let model = ''
  const total = (): Usage => {
    const sum = { ...done }
    for (const usage of current.values()) {
      sum.input_tokens += usage.input_tokens
      sum.output_tokens += usage.output_tokens
      sum.cache_read_input_tokens += usage.cache_read_input_tokens
      sum.cache_creation_input_tokens += usage.cache_creation_input_tokens
    }
    return sum
  }
  const read = (event: CliMessage | undefined, stream: string): RunEvent | undefined => {
    const call = current.get(stream)
    if (event?.type === 'message_start' && event.message?.usage) {
      if (call) {
        done.input_tokens += call.input_tokens
        done.output_tokens += call.output_tokens
        done.cache_read_input_tokens += call.cache_read_input_tokens
        done.cache_creation_input_tokens += call.cache_creation_input_tokens
      }
      const u = event.message.usage
      // The run's own model prices the run (a sub-agent's is usually no dearer).
      if (!stream || !model) model = String(event.message.model ?? model)
      current.set(stream, {
        input_tokens: Number(u.input_tokens ?? 0),
        output_tokens: Number(u.output_tokens ?? 0),
        cache_read_input_tokens: Number(u.cache_read_input_tokens ?? 0),
        cache_creation_input_tokens: Number(u.cache_creation_input_tokens ?? 0),
      })
    } else if (event?.type === 'message_delta' && event.usage && call) {
      call.output_tokens = Number(event.usage.output_tokens ?? call.output_tokens)
    } else {
      return undefined
    }
    return { type: 'usage', usage: total(), model }
  }
  /** Starts counting anew (a part of the turn was charged): usage from here on is the next part's. */
  const rebase = () => {
    done.input_tokens = 0
    done.output_tokens = 0
    done.cache_read_input_tokens = 0
    done.cache_creation_input_tokens = 0
    current.clear()
  }
  return { read, total, rebase }
}

export type UsageMeter = ReturnType<typeof createUsageMeter>
