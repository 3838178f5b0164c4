/**
 * A server on 127.0.0.1 that listens from its first use (the relays a CLI process talks to):
 * most servers never need one, and the sandbox's egress must be told its address once it has one.
 */
import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'

export const createLoopbackServer = (
  handle: RequestListener,
  /** Told the `host:port` once it listens. */
  onListen?: (target: string) => void
) => {
  const server = createServer(handle)
  let listening: Promise<string> | undefined
  return {
    /** Its `host:port`, listening first if it does not yet. */
    address: () => {
      listening ??= new Promise<string>((resolve, reject) => {
        server.once('error', reject)
        server.listen(0, '127.0.0.1', () => {
          const target = `127.0.0.1:${(server.address() as AddressInfo).port}`
          onListen?.(target)
          resolve(target)
        })
      })
      return listening
    },
    async close() {
      if (!listening) return
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
