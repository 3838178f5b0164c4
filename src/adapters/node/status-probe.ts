/** Which CLI the runner uses, its version and login, asked at most every 30 s and once at a time. */
import type { RunnerStatus } from '../../contract/runner.js'
import {
  type ClaudeAuth,
  readClaudeAuth,
  readClaudeVersion,
  resolveClaudeBinary,
} from './process/binary.js'

type Probe = { path: string; version: string | null; auth: ClaudeAuth | null; at: number }

export const createStatusProbe = (
  env: Record<string, string | undefined>,
  childEnv: Record<string, string>,
  binary?: string
) => {
  let probe: Probe | undefined
  // Callers at the same moment share one probe (two CLI processes), not one each.
  let asking: Promise<Probe> | undefined
  const closing = new AbortController()
  const ask = (path: string) => {
    const options = { signal: closing.signal }
    asking ??= Promise.all([
      readClaudeVersion(path, childEnv, options),
      readClaudeAuth(path, childEnv, options),
    ])
      .then(([version, auth]) => ({ path, version, auth, at: Date.now() }))
      .finally(() => {
        asking = undefined
      })
    return asking
  }
  const read = async (): Promise<Omit<RunnerStatus, 'capacity'>> => {
    const found = resolveClaudeBinary(env, binary)
    if (found && (!probe || probe.path !== found.path || Date.now() - probe.at > 30_000)) {
      probe = await ask(found.path)
    }
    const current = found ? probe : undefined
    return {
      available: Boolean(current?.version),
      binary_path: found?.path ?? null,
      binary_source: found?.source ?? null,
      version: current?.version ?? null,
      logged_in: current?.auth?.loggedIn ?? null,
      auth_method: current?.auth?.authMethod ?? null,
    }
  }
  return {
    read,
    /** Stops a probe in flight and waits for its processes to exit. */
    close: async () => {
      closing.abort()
      await asking?.catch(() => {})
    },
  }
}
