/**
 * A key holder sets their own Claude login (`POST /llm/login`), so members of a shared server
 * never hand their token to an operator; `DELETE /llm/login` takes it away again. Off unless the
 * operator allows it (the Node server's CLAUDE_SELF_SERVICE_LOGINS), and only where the server
 * keeps logins itself (not at a front door).
 */
import { Hono } from 'hono'
import { describeRoute, resolver } from 'hono-openapi'
import * as v from 'valibot'
import type { KeyRecord } from '../auth/keys.js'
import { PolicyError } from '../errors/index.js'
import type { AppEnv } from '../http/env.js'
import { errorResponse } from '../http/openapi-responses.js'
import { jsonBody } from '../http/validation.js'

/** Where a key's own login is kept (the Node server's sealed store and keys file). */
export type SelfLogins = {
  /** Seals `token` as the key's own login and binds the key to it; resolves with its name. */
  set(key: KeyRecord, token: string): Promise<string>
  /** Removes the key's own login and binds the key back to the server's; false if it had none. */
  clear(key: KeyRecord): Promise<boolean>
}

export const LoginRequest = v.object({
  token: v.pipe(
    v.string(),
    v.minLength(1, 'is required'),
    v.maxLength(4096, 'is too long'),
    v.regex(/^\S+$/, 'must be one word (the output of `claude setup-token`)'),
    v.description('A Claude Code token from `claude setup-token`; sealed, never shown again.')
  ),
})

export const LoginResponse = v.object({
  login: v.pipe(
    v.nullable(v.string()),
    v.description("The key's own login, or null (the server's).")
  ),
})

const holderOf = (self: SelfLogins | undefined, key: KeyRecord | undefined) => {
  if (!self) {
    throw new PolicyError(
      'Key holders may not set their own login on this server (the operator allows it with CLAUDE_SELF_SERVICE_LOGINS)'
    )
  }
  if (!key) throw new PolicyError('Setting a login needs an API key')
  return { self, key }
}

const responses = {
  200: {
    description: "The key's login",
    content: { 'application/json': { schema: resolver(LoginResponse) } },
  },
  403: errorResponse('Not allowed on this server, or no key'),
}

export const createLoginRoutes = (self?: SelfLogins) =>
  new Hono<AppEnv>()
    .post(
      '/login',
      describeRoute({ summary: "Set this key's own Claude login", responses }),
      jsonBody(LoginRequest),
      async (c) => {
        const holder = holderOf(self, c.var.apiKey)
        const login = await holder.self.set(holder.key, c.req.valid('json').token)
        return c.json({ login })
      }
    )
    .delete(
      '/login',
      describeRoute({ summary: "Back to the server's login", responses }),
      async (c) => {
        const holder = holderOf(self, c.var.apiKey)
        await holder.self.clear(holder.key)
        return c.json({ login: null })
      }
    )
