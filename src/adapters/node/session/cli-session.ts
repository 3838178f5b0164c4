/**
 * A CLI process as the runner holds it, from spawn to stop, across every run it serves (one CLI
 * conversation after another, `/clear` between them, or one conversation's turns). It is the only writer of the process's
 * stdin and the only one to stop it; every change of its state goes through session-state.ts,
 * which refuses a move its table does not allow.
 */

import type { RunEvent, RunRequest, ToolResult } from '../../../contract/runner.js'
import { CliProtocolError } from '../../../errors/index.js'
import { type PendingCall, toolResultLine } from '../cli-protocol/client-tools.js'
import { type CliMessage, parseCliLine } from '../cli-protocol/message.js'
import { CLEAR_LINE, initializeLine, userLine } from '../cli-protocol/stdin.js'
import type { CliTranslator } from '../cli-protocol/translator.js'
import type { WorkDir } from '../disk/work-dir.js'
import type { CliProcess } from '../process/spawn.js'
import { type ConverseOptions, converse, type Stretch } from './converse.js'
import { createSessionState } from './session-state.js'

/** What the session's steps below share. */
interface Held {
  proc: CliProcess
  state: ReturnType<typeof createSessionState>
  messages: () => AsyncGenerator<CliMessage>
  stop: () => Promise<void>
  /** Runs begun in this process (0: fresh). */
  runs: number
}

/** Reads up to `/clear`'s result: true when it reports a new conversation, not the run's. */
const readReset = async (held: Held, previousSessionId: string) => {
  held.proc.write(CLEAR_LINE)
  let reset = false
  for await (const message of held.messages()) {
    if (message.type === 'conversation_reset') reset = true
    if (message.type !== 'result') continue
    return (
      reset &&
      message.is_error !== true &&
      typeof message.session_id === 'string' &&
      message.session_id !== previousSessionId
    )
  }
  return false
}

/**
 * `/clear` after a run that ended cleanly. True, and idle, only when the CLI reported a reset to
 * a session id other than the run's; otherwise (or past `timeoutMs`) stopped.
 */
const reset = async (held: Held, previousSessionId: string, timeoutMs: number) => {
  held.state.move('resetting')
  const timer = setTimeout(() => void held.stop(), timeoutMs)
  const ok = await readReset(held, previousSessionId)
    .catch(() => false)
    .finally(() => clearTimeout(timer))
  if (ok && held.state.current === 'resetting') held.state.move('idle')
  else await held.stop()
  return held.state.current === 'idle'
}

/** The models a fresh process offers, from its `initialize` answer (no API call is made). */
const listModels = async (held: Held): Promise<unknown[]> => {
  held.state.move('running', ['fresh'])
  held.runs++
  held.proc.write(initializeLine({ prompt: '' }, 'models'))
  for await (const message of held.messages()) {
    if (message.type === 'control_response') return message.response?.response?.models ?? []
  }
  throw new CliProtocolError('The CLI did not answer the initialize request')
}

/** The client's results answer the calls the parked run waits on. */
const resume = (
  held: Held,
  pending: readonly PendingCall[],
  results: ReadonlyMap<string, ToolResult>
) => {
  if (held.state.current === 'stopped') return
  held.state.move('running', ['parked'])
  for (const call of pending) {
    const result = results.get(call.toolUseId)
    if (!result) throw new CliProtocolError(`No result for tool call ${call.toolUseId}`)
    held.proc.write(toolResultLine(call, result))
  }
}

export type CliSession = ReturnType<typeof createCliSession>

/** `reusable`: started so that `/clear` is a command (not a prompt), so it may serve another run. */
export const createCliSession = (proc: CliProcess, dir: WorkDir, { reusable = false } = {}) => {
  const state = createSessionState()
  let stopping: Promise<void> | undefined
  /** Stops the process and removes its directory; once, whoever asks first (`now`: spawn.ts). */
  const stop = (options?: { now?: boolean }): Promise<void> => {
    state.end()
    if (options?.now) void proc.terminate(options)
    stopping ??= proc
      .terminate()
      .then(() => dir.cleanup?.())
      .then(
        () => {},
        () => {}
      )
    return stopping
  }
  // A process that ends on its own (stdin closed after a one-off run, a crash) is stopped too.
  void proc.exited.then(() => stop())
  async function* messages(): AsyncGenerator<CliMessage> {
    for await (const line of proc.lines) {
      const message = parseCliLine(line)
      if (message) yield message
    }
  }
  const held: Held = { proc, state, messages, stop, runs: 0 }

  return {
    get state() {
      return state.current
    },
    /** Runs begun in this process (0: fresh). */
    get runs() {
      return held.runs
    },
    dir,
    reusable,
    pid: proc.pid,
    exited: proc.exited,
    stderrTail: () => proc.stderrTail(),
    /**
     * Starts a run: `initialize` first in a fresh process, then the prompt. Without `keepOpen`
     * stdin is closed, so the CLI exits after this turn. A process that already ended (it died
     * at start) is left as it is: the run reads what it printed, which says why.
     */
    begin(request: RunRequest, keepOpen: boolean) {
      if (state.current === 'stopped') return
      const first = state.current === 'fresh'
      state.move('running', ['fresh', 'idle', 'holding'])
      held.runs++
      if (first) proc.write(initializeLine(request))
      // A conversation of a process that may be reset starts as those after a reset do.
      const clearNote = first && reusable && Boolean(request.tools?.length)
      proc.write(userLine(request.prompt, { clearNote }))
      if (!keepOpen) proc.endInput()
    },
    /** Reads the run's conversation up to its next stop (converse.ts), answering the CLI. */
    converse(
      translator: CliTranslator,
      options: ConverseOptions
    ): AsyncGenerator<RunEvent, Stretch> {
      if (state.current !== 'running' && state.current !== 'stopped') {
        throw new CliProtocolError(`A ${state.current} CLI process has no run`)
      }
      const halt = () => void proc.terminate({ now: true })
      return converse({ messages: messages(), write: proc.write, halt }, translator, options)
    },
    /** The run waits for the client's tool results; the process waits on its `tools/call`s. */
    park: () => state.move('parked'),
    /** The run is over; the process keeps its conversation for the next turn. */
    hold: () => state.move('holding', ['running']),
    resume: (pending: readonly PendingCall[], results: ReadonlyMap<string, ToolResult>) =>
      resume(held, pending, results),
    reset: (previousSessionId: string, timeoutMs: number) =>
      reset(held, previousSessionId, timeoutMs),
    listModels: () => listModels(held),
    stop,
  }
}
