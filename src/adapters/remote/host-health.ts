/**
 * How a front door learns how its runner hosts are: a failure to reach one marks it down at once
 * (host-state.ts keeps since when, and why); a health check (`GET /runner/v1/health`) brings it
 * back and says whether it drains, how busy it is and which of Claude Code's tools it allows.
 * One check per host at a time; the probe checks them all every few seconds where timers may run.
 */
import * as v from 'valibot'
import { Health } from '../../contract/runner-protocol.js'
import type { Host } from './host-state.js'

export type { Host }

export const createHealthChecks = ({
  get,
}: {
  /** A JSON GET of the host's, within the health check's timeout. */
  get: (host: Host, path: string) => Promise<unknown>
}) => {
  const markDown = (host: Host, cause?: unknown) => host.fail(cause)
  const heard = (host: Host, answer: unknown) => {
    const health = v.safeParse(Health, answer)
    // It answered: reachable, whatever else its answer says.
    if (!health.success) host.heard('ok')
    else {
      const { status, capacity, tools } = health.output
      host.heard(status, { ...capacity, tools: tools ?? [] })
    }
    return !host.draining
  }
  /** Asks the host how it is (one check at a time); true when it takes new runs. */
  const check = (host: Host): Promise<boolean> =>
    (host.checking ??= get(host, '/runner/v1/health')
      .then(
        (answer) => heard(host, answer),
        (error) => {
          markDown(host, error)
          return false
        }
      )
      .finally(() => {
        host.checking = undefined
      }))
  return {
    markDown,
    check,
    /** Checks every host every `everyMs` until the returned function is called. */
    startProbe(hosts: Host[], everyMs: number) {
      let probing = false
      const timer = setInterval(() => {
        if (probing) return
        probing = true
        void Promise.all(hosts.map(check)).finally(() => (probing = false))
      }, everyMs)
      // Node: the probe must not keep the process alive.
      ;(timer as { unref?: () => void }).unref?.()
      return () => clearInterval(timer)
    },
  }
}
