/**
 * One stretch of a run's conversation with its CLI process: its lines become run events, the
 * client-tool server's requests are answered, and the stretch ends at the run's result (for a
 * process that stays open), at a client tool call no result is there for yet (the run parks,
 * once the model's message is complete, so every call of it is known: the CLI may ask for the
 * first before the model has written the next), when the answer hits the output token cap, or
 * when the process ends.
 */
import type { ClientTool, RunEvent, ToolResult } from '../../../contract/runner.js'
import { answerControl, type PendingCall, toolResultLine } from '../cli-protocol/client-tools.js'
import type { CliMessage } from '../cli-protocol/message.js'
import type { CliTranslator } from '../cli-protocol/translator.js'

export type Stretch =
  | { kind: 'result' }
  | { kind: 'parked'; pending: PendingCall[] }
  | { kind: 'ended' }
  /** The model's answer hit the output token cap; the CLI would go on asking for more. */
  | { kind: 'cut' }

export type ConverseOptions = {
  tools: readonly ClientTool[]
  /** The client's answers, by tool call id. */
  results: ReadonlyMap<string, ToolResult>
  /** Stop at the result instead of reading until the process ends. */
  stopAtResult: boolean
  onEvent?: (event: RunEvent) => void
}

/** The session's side of the process: its messages, and its stdin. */
export type ConverseIo = {
  messages: AsyncIterable<CliMessage>
  write: (line: string) => void
  /** Kills the process at once (it is about to make a call nobody asked for). */
  halt: () => void
}

export async function* converse(
  { messages, write, halt }: ConverseIo,
  translator: CliTranslator,
  { tools, results, stopAtResult, onEvent }: ConverseOptions
): AsyncGenerator<RunEvent, Stretch> {
  const pending: PendingCall[] = []
  let messageDone = false
  for await (const message of messages) {
    const control = answerControl(message, tools)
    if (control && 'line' in control) {
      write(control.line)
      continue
    }
    if (control) {
      const result = results.get(control.call.toolUseId)
      if (result) write(toolResultLine(control.call, result))
      else pending.push(control.call)
    } else {
      const event = message.type === 'stream_event' && message.parent_tool_use_id == null
      if (event && message.event?.type === 'message_start') messageDone = false
      if (event && message.event?.type === 'message_stop') messageDone = true
      const runEvents = translator.translate(message)
      // At the token cap the CLI asks the model to go on at once; the relay refuses that call
      // (model-relay.ts), and the process is killed now, not after the client took the events.
      const cut = translator.cutShort()
      if (cut) halt()
      for (const runEvent of runEvents) {
        onEvent?.(runEvent)
        yield runEvent
      }
      if (stopAtResult && message.type === 'result') return { kind: 'result' }
      if (cut) return { kind: 'cut' }
    }
    if (pending.length > 0 && messageDone) return { kind: 'parked', pending }
  }
  return { kind: 'ended' }
}
