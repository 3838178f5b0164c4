/**
 * Serves a fetch handler on Node, and closes it in the right order: the runs first (so no CLI
 * process is left behind), then the connections.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Logger } from '../lib/logger.js'

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
      await beforeClose()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
      })
    },
  }
}
