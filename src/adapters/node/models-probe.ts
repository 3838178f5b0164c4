/** The CLI's alias table, read from its `initialize` answer: no API call is made. */

import type { ModelInfo } from '../../contract/runner.js'
import { DeadlineExceededError } from '../../errors/index.js'
import type { Capacity } from '../../run/capacity.js'
import { toModelInfo } from '../../run/models.js'
import type { CliSession } from './session/cli-session.js'

export type ModelsProbeOptions = {
  /** Starts a fresh CLI session in a throwaway directory. */
  start: () => Promise<CliSession>
  /** The probe is a CLI process like any run, so it waits for a slot like one. */
  capacity: Capacity
}

export const probeModels = async (deps: ModelsProbeOptions): Promise<ModelInfo[]> => {
  const controller = new AbortController()
  const timer = setTimeout(
    () => controller.abort(new DeadlineExceededError('The CLI did not list its models in time')),
    30_000
  )
  let release: (() => void) | undefined
  let session: CliSession | undefined
  try {
    // Inside the try, so a failure at any step gives the slot back.
    const admission = deps.capacity.admit(controller.signal)
    release = admission.queued ? await admission.ready : admission.release
    session = await deps.start()
    const current = session
    controller.signal.addEventListener('abort', () => void current.stop(), { once: true })
    const list = await session.listModels().catch((error: unknown) => {
      throw controller.signal.aborted ? controller.signal.reason : error
    })
    return list.flatMap((m) => toModelInfo(m as Record<string, unknown>) ?? [])
  } finally {
    clearTimeout(timer)
    await session?.stop()
    release?.()
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
