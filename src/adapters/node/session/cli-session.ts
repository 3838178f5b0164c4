/**
 * A CLI process as the runner holds it, from spawn to stop, across every run it serves (one CLI
 * conversation after another, `/clear` between them). It is the only writer of the process's
 * stdin and the only one to stop it; its state says where the process is in its life, and every
 * change of state goes through `move`, which refuses what the table below does not allow.
 */
import { CliProtocolError } from '../../../errors/index.js'
import type { RunEvent, RunRequest, ToolResult } from '../../../runner.js'
import { type PendingCall, toolResultLine } from '../cli-protocol/client-tools.js'
import { type CliMessage, parseCliLine } from '../cli-protocol/message.js'
import { CLEAR_LINE, initializeLine, userLine } from '../cli-protocol/stdin.js'
import type { CliTranslator } from '../cli-protocol/translator.js'
import type { WorkDir } from '../disk/work-dir.js'
import type { CliProcess } from '../process/spawn.js'
import { type ConverseOptions, converse, type Stretch } from './converse.js'

export type SessionState =
  /** Started, `initialize` not sent yet: may serve any run of its shape. */
  | 'fresh'
  /** Reset after a run: waits in the pool for its tenant's next run. */
  | 'idle'
  /** Serving a run. */
  | 'running'
  /** Its run waits for the client's tool results (run/parking.ts). */
  | 'parked'
  /** `/clear` sent, waiting for the proof of a new conversation. */
  | 'resetting'
  /** Stopped (or exited), its directory cleaned up: the end. */
  | 'stopped'

const NEXT: Record<SessionState, readonly SessionState[]> = {
  fresh: ['running', 'stopped'],
  idle: ['running', 'stopped'],
  running: ['parked', 'resetting', 'stopped'],
  parked: ['running', 'stopped'],
  resetting: ['idle', 'stopped'],
  stopped: [],
}

export type CliSession = ReturnType<typeof createCliSession>

export const createCliSession = (proc: CliProcess, dir: WorkDir) => {
  let state: SessionState = 'fresh'
  let runs = 0
  let stopping: Promise<void> | undefined

  /** Changes state; `from`, when given, narrows where this step may start. */
  const move = (to: SessionState, from: readonly SessionState[] = []) => {
    if (!NEXT[state].includes(to) || (from.length > 0 && !from.includes(state))) {
      throw new CliProtocolError(`A CLI process cannot go from ${state} to ${to}`)
    }
    state = to
  }

  /** Stops the process and removes its directory; once, whoever asks first. */
  const stop = (): Promise<void> => {
    if (!stopping) {
      state = 'stopped'
      stopping = proc
        .terminate()
        .then(() => dir.cleanup?.())
        .then(
          () => {},
          () => {}
        )
    }
    return stopping
  }
  // A process that ends on its own (stdin closed after a one-off run, a crash) is stopped too.
  void proc.exited.then(stop)

  async function* messages(): AsyncGenerator<CliMessage> {
    for await (const line of proc.lines) {
      const message = parseCliLine(line)
      if (message) yield message
    }
  }

  return {
    get state() {
      return state
    },
    /** Runs begun in this process (0: fresh). */
    get runs() {
      return runs
    },
    dir,
    pid: proc.pid,
    exited: proc.exited,
    stderrTail: () => proc.stderrTail(),
    /**
     * Starts a run: `initialize` first in a fresh process, then the prompt. Without `keepOpen`
     * stdin is closed, so the CLI exits after this turn.
     */
    begin(request: RunRequest, keepOpen: boolean) {
      // A process that already ended (it died at start): the run reads what it printed and
      // finds no result, which says why (not logged in, a missing binary…).
      if (state === 'stopped') return
      const first = state === 'fresh'
      move('running', ['fresh', 'idle'])
      runs++
      if (first) proc.write(initializeLine(request))
      proc.write(userLine(request.prompt))
      if (!keepOpen) proc.endInput()
    },
    /** Reads the run's conversation up to its next stop (converse.ts), answering the CLI. */
    converse(
      translator: CliTranslator,
      options: ConverseOptions
    ): AsyncGenerator<RunEvent, Stretch> {
      if (state !== 'running' && state !== 'stopped') {
        throw new CliProtocolError(`A ${state} CLI process has no run`)
      }
      return converse({ messages: messages(), write: proc.write }, translator, options)
    },
    /** The run waits for the client's tool results; the process waits on its `tools/call`s. */
    park() {
      move('parked')
    },
    /** The client's results answer the calls the parked run waits on. */
    resume(pending: readonly PendingCall[], results: ReadonlyMap<string, ToolResult>) {
      if (state === 'stopped') return
      move('running', ['parked'])
      for (const call of pending) {
        const result = results.get(call.toolUseId)
        if (!result) throw new CliProtocolError(`No result for tool call ${call.toolUseId}`)
        proc.write(toolResultLine(call, result))
      }
    },
    /**
     * `/clear` after a run that ended cleanly. True, and idle, only when the CLI reported a
     * reset to a session id other than the run's; otherwise (or past `timeoutMs`) stopped.
     */
    async reset(previousSessionId: string, timeoutMs: number): Promise<boolean> {
      move('resetting')
      const timer = setTimeout(() => void stop(), timeoutMs)
      let ok = false
      try {
        proc.write(CLEAR_LINE)
        let reset = false
        for await (const message of messages()) {
          if (message.type === 'conversation_reset') reset = true
          if (message.type !== 'result') continue
          ok =
            reset &&
            message.is_error !== true &&
            typeof message.session_id === 'string' &&
            message.session_id !== previousSessionId
          break
        }
      } catch {
        ok = false
      } finally {
        clearTimeout(timer)
      }
      if (ok && state === 'resetting') move('idle')
      else await stop()
      return state === 'idle'
    },
    /** The models a fresh process offers, from its `initialize` answer (no API call is made). */
    async listModels(): Promise<unknown[]> {
      move('running', ['fresh'])
      runs++
      proc.write(initializeLine({ prompt: '' }, 'models'))
      for await (const message of messages()) {
        if (message.type === 'control_response') return message.response?.response?.models ?? []
      }
      throw new CliProtocolError('The CLI did not answer the initialize request')
    },
    stop,
  }
}
