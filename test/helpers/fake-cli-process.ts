/**
 * A stand-in for a CLI process (the `CliProcess` the runner holds), for fast, deterministic tests
 * of sessions, the pool and the run phases. It speaks enough stream-json to answer `initialize`,
 * a prompt and `/clear` the way 2.1.330 does (see the fixtures), and lets a test decide when to
 * answer, exit or hang.
 */
import { randomUUID } from 'node:crypto'
import type { Launch } from '../../src/adapters/node/pool/process-source.js'
import type { ChildExit, CliProcess } from '../../src/adapters/node/process/spawn.js'

export type FakeBehaviour = {
  /** Answer a prompt at once (default), or leave it unanswered until `answer()`. */
  answerPrompts?: boolean
  /** Answer `/clear` with a reset to a new session (default), or `'same'`/`'never'`. */
  clear?: 'reset' | 'same' | 'never'
  /** Ignore SIGTERM: exit only on the kill after a grace period, or (`'never'`) on `exit()`. */
  stubborn?: boolean | 'never'
  /** Exit (code 1) as soon as started, before anything is written to it. */
  dieAtStart?: boolean
  /** Answer a prompt of a run with client tools with a call of this one (the run parks), then `done`. */
  toolCall?: { name: string; input: object }
}

export type FakeProcess = CliProcess & {
  written: unknown[]
  inputEnded: boolean
  terminated: number
  /** Prints a line as the CLI would. */
  print(message: object): void
  /** Answers the prompt it waits on with `text`. */
  answer(text?: string): void
  /** The process ends on its own. */
  exit(code?: number): void
  readonly alive: boolean
}

export const createFakeProcess = (behaviour: FakeBehaviour = {}): FakeProcess => {
  const queue: string[] = []
  let wake: (() => void) | undefined
  let ended = false
  let resolveExit!: (exit: ChildExit) => void
  const exited = new Promise<ChildExit>((resolve) => (resolveExit = resolve))
  let sessionId = randomUUID()
  let waitingPrompt = false
  /** `initialize` named the client-tool server: the run has client tools. */
  let clientTools = false

  const push = (line: string) => {
    queue.push(line)
    wake?.()
  }
  const end = (exit: ChildExit) => {
    if (ended) return
    ended = true
    wake?.()
    resolveExit(exit)
  }
  const result = (text: string, extra: object = {}) => ({
    type: 'result',
    subtype: 'success',
    is_error: false,
    result: text,
    session_id: sessionId,
    total_cost_usd: 0.001,
    num_turns: 1,
    duration_ms: 5,
    usage: { input_tokens: 10, output_tokens: 2 },
    ...extra,
  })

  const fake: FakeProcess = {
    pid: undefined,
    written: [],
    inputEnded: false,
    terminated: 0,
    get alive() {
      return !ended
    },
    print: (message) => push(JSON.stringify(message)),
    answer(text = 'ok') {
      waitingPrompt = false
      fake.print({ type: 'system', subtype: 'init', session_id: sessionId, model: 'claude-fake-1' })
      fake.print({
        type: 'stream_event',
        event: { type: 'content_block_delta', delta: { type: 'text_delta', text } },
      })
      fake.print(result(text))
      if (fake.inputEnded) fake.exit(0)
    },
    exit: (code = 0) => end({ code, signal: null }),
    write(line) {
      if (ended || fake.inputEnded) return
      const message = JSON.parse(line)
      fake.written.push(message)
      if (message.type === 'control_request' && message.request?.subtype === 'initialize') {
        clientTools = Boolean(message.request.sdkMcpServers?.length)
        fake.print({
          type: 'control_response',
          response: {
            subtype: 'success',
            request_id: message.request_id,
            response: { models: [] },
          },
        })
      } else if (message.type === 'user' && message.message?.content === '/clear') {
        if (behaviour.clear === 'never') return
        if (behaviour.clear !== 'same') sessionId = randomUUID()
        fake.print({ type: 'conversation_reset' })
        fake.print(result(''))
      } else if (message.type === 'control_response' && message.response?.request_id === 'call_1') {
        fake.answer('done')
      } else if (message.type === 'user' && behaviour.toolCall && clientTools) {
        waitingPrompt = true
        const { name, input } = behaviour.toolCall
        const event = (e: object) => fake.print({ type: 'stream_event', event: e })
        fake.print({
          type: 'system',
          subtype: 'init',
          session_id: sessionId,
          model: 'claude-fake-1',
        })
        event({
          type: 'message_start',
          message: { model: 'claude-fake-1', usage: { input_tokens: 5 } },
        })
        fake.print({
          type: 'assistant',
          message: {
            content: [{ type: 'tool_use', id: 'toolu_1', name: `mcp__client__${name}`, input }],
          },
        })
        fake.print({
          type: 'control_request',
          request_id: 'call_1',
          request: {
            subtype: 'mcp_message',
            message: {
              method: 'tools/call',
              id: 1,
              params: { name, arguments: input, _meta: { 'claudecode/toolUseId': 'toolu_1' } },
            },
          },
        })
        event({ type: 'message_stop' })
      } else if (message.type === 'user') {
        waitingPrompt = true
        if (behaviour.answerPrompts !== false) fake.answer()
      }
    },
    endInput() {
      fake.inputEnded = true
      if (!waitingPrompt) fake.exit(0)
    },
    lines: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const line = queue.shift()
          if (line !== undefined) {
            yield line
            continue
          }
          if (ended) return
          await new Promise<void>((resolve) => (wake = resolve))
        }
      },
    },
    exited,
    stderrTail: () => '',
    terminate() {
      fake.terminated++
      if (!behaviour.stubborn) end({ code: null, signal: 'SIGTERM' })
      else if (behaviour.stubborn !== 'never') {
        setTimeout(() => end({ code: null, signal: 'SIGKILL' }), 20)
      }
      return exited
    },
  }
  if (behaviour.dieAtStart) fake.exit(1)
  return fake
}

/** A launcher that starts fake processes and keeps them, for a test to look at. */
export const createFakeLauncher = (behaviour: FakeBehaviour = {}) => {
  const started: FakeProcess[] = []
  const launch: Launch = async () => {
    const proc = createFakeProcess(behaviour)
    started.push(proc)
    return proc
  }
  return { launch, started, alive: () => started.filter((p) => p.alive) }
}
