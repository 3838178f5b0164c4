/**
 * A server that only this machine can reach (bound to loopback) answers only requests addressed
 * to a loopback name. A web page elsewhere that points its own name at 127.0.0.1 (DNS rebinding)
 * would otherwise reach a keyless API, or a runner host without a token, from the user's browser.
 */
import type { MiddlewareHandler } from 'hono'
import { PolicyError } from '../errors/index.js'
import { isLoopback } from '../lib/addresses.js'

export const loopbackHostsOnly = (): MiddlewareHandler => async (c, next) => {
  const host = new URL(c.req.url).hostname
  if (!isLoopback(host)) {
    throw new PolicyError(
      `This server answers requests to localhost only, not to ${JSON.stringify(host)}`
    )
  }
  await next()
}
