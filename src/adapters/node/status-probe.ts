/** Which CLI the runner uses, its version and login, asked at most every 30 s. */
import type { RunnerStatus } from '../../runner.js'
import {
  type ClaudeAuth,
  readClaudeAuth,
  readClaudeVersion,
  resolveClaudeBinary,
} from './binary.js'

type Probe = { path: string; version: string | null; auth: ClaudeAuth | null; at: number }

export const createStatusProbe = (
  env: Record<string, string | undefined>,
  childEnv: Record<string, string>,
  binary?: string
) => {
  let probe: Probe | undefined
  return async (): Promise<Omit<RunnerStatus, 'capacity'>> => {
    const found = resolveClaudeBinary(env, binary)
    if (found && (!probe || probe.path !== found.path || Date.now() - probe.at > 30_000)) {
      const [version, auth] = await Promise.all([
        readClaudeVersion(found.path),
        readClaudeAuth(found.path, childEnv),
      ])
      probe = { path: found.path, version, auth, at: Date.now() }
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
}
