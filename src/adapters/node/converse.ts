/**
 * One stretch of a run's conversation with its CLI process: its lines become run events, the
 * client-tool server's requests are answered, and the stretch ends at the run's result (for a
 * process that stays open), at a client tool call no result is there for yet (the run parks,
 * once the model's message is complete, so every call of it is known: the CLI may ask for the
 * first before the model has written the next), or when the process ends.
 */
import type { RunEvent, ToolResult } from '../../runner.js'
import { answerControl, type PendingCall, toolResultLine } from './client-tools.js'
import type { CliProcess } from './process.js'
import { type CliTranslator, parseCliLine } from './stream-json.js'

export type Stretch =
  | { kind: 'result' }
  | { kind: 'parked'; pending: PendingCall[] }
  | { kind: 'ended' }

export type ConverseOptions = {
  tools: NonNullable<import('../../runner.js').RunRequest['tools']>
  /** The client's answers, by tool call id. */
  results: ReadonlyMap<string, ToolResult>
  /** Stop at the result instead of reading until the process ends. */
  stopAtResult: boolean
  onEvent?: (event: RunEvent) => void
}

export const answerLine = (call: PendingCall, result: ToolResult) =>
  toolResultLine(call, { content: result.content, isError: result.isError })

export async function* converse(
  proc: CliProcess,
  translator: CliTranslator,
  { tools, results, stopAtResult, onEvent }: ConverseOptions
): AsyncGenerator<RunEvent, Stretch> {
  const pending: PendingCall[] = []
  let messageDone = false
  for await (const line of proc.lines) {
    const message = parseCliLine(line)
    if (!message) continue
    const control = answerControl(message, tools)
    if (control && 'line' in control) {
      proc.child.stdin.write(`${control.line}\n`)
      continue
    }
    if (control) {
      const result = results.get(control.call.toolUseId)
      if (result) proc.child.stdin.write(`${answerLine(control.call, result)}\n`)
      else pending.push(control.call)
    } else {
      const event = message.type === 'stream_event' && message.parent_tool_use_id == null
      if (event && message.event?.type === 'message_start') messageDone = false
      if (event && message.event?.type === 'message_stop') messageDone = true
      for (const runEvent of translator.translate(message)) {
        onEvent?.(runEvent)
        yield runEvent
      }
      if (stopAtResult && message.type === 'result') return { kind: 'result' }
    }
    if (pending.length > 0 && messageDone) return { kind: 'parked', pending }
  }
  return { kind: 'ended' }
}
