/**
 * Stop sequences, which the CLI cannot pass to the model: the run's answer is cut before the
 * first one, here, for every dialect. Text that could be the start of a sequence is held back
 * until the next delta tells, so a sequence split across deltas is still found and never shown.
 * At a match the run is left (its CLI stopped) and ends with `stopReason: "stop_sequence"`.
 */
import type { RunEvent, RunResult, Usage } from '../contract/runner.js'

/** Where the earliest sequence starts in `text`, if one does. */
const firstMatch = (text: string, sequences: readonly string[]) => {
  let found: { at: number; sequence: string } | undefined
  for (const sequence of sequences) {
    const at = text.indexOf(sequence)
    if (at >= 0 && (!found || at < found.at)) found = { at, sequence }
  }
  return found
}

/** How much of `text`'s end could begin a sequence (so it must wait for more). */
const heldBack = (text: string, sequences: readonly string[]) => {
  let keep = 0
  for (const sequence of sequences) {
    for (let n = Math.min(sequence.length - 1, text.length); n > keep; n--) {
      if (text.endsWith(sequence.slice(0, n))) {
        keep = n
        break
      }
    }
  }
  return keep
}

/** The result when the answer ends at a match the run did not see: what was said before it. */
const cutResult = (text: string, sequence: string, seen: Seen): RunResult => ({
  text,
  sessionId: seen.sessionId,
  model: seen.model,
  numTurns: 1,
  totalCostUsd: 0,
  durationMs: Date.now() - seen.startedAt,
  usage: seen.usage,
  modelUsage: null,
  ...(seen.thinking.length > 0 && { thinking: seen.thinking }),
  stopReason: 'stop_sequence',
  stopSequence: sequence,
})

type Seen = {
  startedAt: number
  sessionId: string | null
  model: string | null
  usage: Usage | null
  thinking: Array<{ thinking: string; signature: string }>
  thinkingText: string
}

const remember = (seen: Seen, event: RunEvent) => {
  if (event.type === 'init') {
    seen.sessionId = event.sessionId
    seen.model = event.model
  }
  if (event.type === 'usage') seen.usage = event.usage
  if (event.type === 'thinking_delta') seen.thinkingText += event.text
  if (event.type === 'thinking_signature') {
    seen.thinking.push({ thinking: seen.thinkingText, signature: event.signature })
    seen.thinkingText = ''
  }
}

export async function* stopAtSequences(
  events: AsyncIterable<RunEvent>,
  sequences: readonly string[] | undefined
): AsyncGenerator<RunEvent> {
  const wanted = (sequences ?? []).filter((s) => s.length > 0)
  if (wanted.length === 0) return yield* events
  const seen: Seen = {
    startedAt: Date.now(),
    sessionId: null,
    model: null,
    usage: null,
    thinking: [],
    thinkingText: '',
  }
  let said = ''
  let held = ''
  for await (const event of events) {
    remember(seen, event)
    if (event.type === 'text_delta') {
      held += event.text
      const match = firstMatch(held, wanted)
      const ready = match
        ? held.slice(0, match.at)
        : held.slice(0, held.length - heldBack(held, wanted))
      if (ready) yield { type: 'text_delta', text: ready }
      said += ready
      held = held.slice(ready.length)
      // Leaving the loop stops the run: the model would only go on past the sequence.
      if (match) return yield { type: 'result', result: cutResult(said, match.sequence, seen) }
      continue
    }
    if (held && event.type !== 'usage' && event.type !== 'quota') {
      yield { type: 'text_delta', text: held }
      said += held
      held = ''
    }
    if (event.type !== 'result') {
      yield event
      continue
    }
    // A result whose text did not stream (or streamed in full): cut it the same way.
    const match = firstMatch(event.result.text, wanted)
    if (!match) return yield event
    const text = event.result.text.slice(0, match.at)
    return yield {
      type: 'result',
      result: { ...event.result, text, stopReason: 'stop_sequence', stopSequence: match.sequence },
    }
  }
}
