/** The CLI's alias table, read from its `initialize` answer: no API call is made. */
import { CliProtocolError, DeadlineExceededError } from '../../errors.js'
import type { Capacity } from '../../run/capacity.js'
import { toModelInfo } from '../../run/models.js'
import type { ModelInfo } from '../../runner.js'
import { buildCliArgs } from './args.js'
import type { CliProcess } from './process.js'
import { initializeLine, parseCliLine } from './stream-json.js'
import type { WorkDir } from './work-dir.js'

export type ModelsProbeOptions = {
  /** Starts the CLI with these arguments in this directory. */
  launch: (args: string[], cwd: string) => Promise<CliProcess>
  /** The probe is a CLI process like any run, so it waits for a slot like one. */
  capacity: Capacity
  prepare: () => Promise<WorkDir>
}

export const probeModels = async (deps: ModelsProbeOptions): Promise<ModelInfo[]> => {
  const controller = new AbortController()
  const timer = setTimeout(
    () => controller.abort(new DeadlineExceededError('The CLI did not list its models in time')),
    30_000
  )
  let release: (() => void) | undefined
  let dir: WorkDir | undefined
  let proc: CliProcess | undefined
  try {
    // Inside the try, so a failure at any step gives the slot back.
    const admission = deps.capacity.admit(controller.signal)
    release = admission.queued ? await admission.ready : admission.release
    dir = await deps.prepare()
    proc = await deps.launch(
      buildCliArgs({ persist: false }).filter((a) => a !== '--include-partial-messages'),
      dir.cwd
    )
    const current = proc
    controller.signal.addEventListener('abort', () => void current.terminate(), { once: true })
    proc.child.stdin.write(`${initializeLine({ prompt: '' }, 'models')}\n`)
    for await (const line of proc.lines) {
      const message = parseCliLine(line)
      if (message?.type !== 'control_response') continue
      const list: unknown[] = message.response?.response?.models ?? []
      return list.flatMap((m) => toModelInfo(m as Record<string, unknown>) ?? [])
    }
    controller.signal.throwIfAborted()
    throw new CliProtocolError('The CLI did not answer the initialize request')
  } finally {
    clearTimeout(timer)
    await proc?.terminate()
    release?.()
    await dir?.cleanup?.().catch(() => {})
  }
}

/** The probe's answer, kept: one probe for everyone who asks at once, tried again if it failed. */
export const createModelsList = (deps: ModelsProbeOptions) => {
  let probe: Promise<ModelInfo[]> | undefined
  return (): Promise<ModelInfo[]> => {
    if (!probe) {
      probe = probeModels(deps)
      probe.catch(() => {
        probe = undefined
      })
    }
    return probe
  }
}
