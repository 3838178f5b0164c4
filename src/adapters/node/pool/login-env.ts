/**
 * A key's own Claude login, for the processes that run on it: its token is put on their model
 * calls by the server's relay (process/model-relay.ts), never given to the process, and a
 * fingerprint of it marks every process started for it, so none serves a run of another login,
 * or of the same name after its token changed.
 */
import { createHash } from 'node:crypto'
import type { Quota } from '../../../contract/quota.js'
import { LoginMissingError } from '../../../errors/index.js'

/** Where a runner finds the logins keys run on (the server's sealed store). */
export type LoginTokens = {
  /** A login's token, or undefined when there is no login by that name. */
  token(name: string): Promise<string | undefined>
  /** Told when a run uses a login, and each quota report of it (for `logins list`). */
  noteUse?(name: string): Promise<void>
  noteQuota?(name: string, quota: Quota): Promise<void>
}

export type LoginEnv = { token: string; print: string }

/** The login's environment; `use`: a run takes it now (noted for `logins list`). */
export const loginEnvOf = async (
  logins: LoginTokens | undefined,
  name: string,
  use = true
): Promise<LoginEnv> => {
  const token = await logins?.token(name)
  if (!token) {
    throw new LoginMissingError(
      `This key's Claude login (${name}) is not on this server; it runs on no other. An operator can add it: claude-code-api logins add ${name}`
    )
  }
  if (use) void logins?.noteUse?.(name).catch(() => {})
  const print = createHash('sha256').update(name).update('\n').update(token).digest('hex')
  return { token, print: print.slice(0, 32) }
}
