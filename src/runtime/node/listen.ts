/**
 * Serves a fetch handler on Node, and closes it in the right order: stop accepting, let the runs
 * finish or stop them (so no CLI process or run directory is left behind), then the connections.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Logger } from '../../lib/logger.js'

/** After the runs have ended, how long responses may take to reach their clients. */
const DRAIN_MS = 2_000

export type RunningServer = {
  url: string
  port: number
  close(): Promise<void>
}

export const listen = async (
  fetch: (request: Request) => Response | Promise<Response>,
  hostname: string,
  requestedPort: number,
  logger: Logger,
  beforeClose: () => Promise<void> | undefined
): Promise<RunningServer> => {
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>(
    (resolve, reject) => {
      const server = serve({ fetch, hostname, port: requestedPort }, (info) =>
        resolve({ server, port: (info as AddressInfo).port })
      )
      server.once('error', reject)
    }
  )
  const host = hostname.includes(':') ? `[${hostname}]` : hostname
  const url = `http://${host}:${port}`
  logger.info('listening', { url })

  return {
    url,
    port,
    close: async () => {
      // No new connections; requests in progress go on while the runs finish or are stopped.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      const sockets = server as { closeIdleConnections?(): void; closeAllConnections?(): void }
      sockets.closeIdleConnections?.()
      await beforeClose()
      // The runs are over; their responses may still be on the way out: drain, then cut.
      const drained = Date.now() + DRAIN_MS
      const drain = setInterval(() => {
        sockets.closeIdleConnections?.()
        if (Date.now() > drained) sockets.closeAllConnections?.()
      }, 50)
      await closed
      clearInterval(drain)
    },
  }
}
