/** The sandbox's one way out, tried directly: what it lets through, and what it refuses. */
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { createEgressProxy, egressTargets } from '../../src/adapters/node/process/egress-proxy.js'
import { silentLogger } from '../../src/lib/logger.js'

let dir: string
let hits = 0
const target = createServer((_req, res) => {
  hits++
  res.end('TARGET')
})
beforeAll(async () => {
  dir = await tempDir('egress')
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve))
})
afterAll(async () => {
  target.close()
  await removeDir(dir)
})

/** A CONNECT through the proxy's socket: the proxy's status line. */
const connectThrough = (socketPath: string, to: string) =>
  new Promise<number>((resolve, reject) => {
    const req = request({ socketPath, method: 'CONNECT', path: to })
    req.on('connect', (res, socket) => {
      socket.destroy()
      resolve(res.statusCode ?? 0)
    })
    req.on('response', (res) => resolve(res.statusCode ?? 0))
    req.on('error', reject)
    req.end()
  })

/** A plain-HTTP request in absolute form through the proxy: status and body. */
const getThrough = (socketPath: string, url: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ socketPath, path: url }, (res) => {
      let body = ''
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })

describe('the egress proxy', () => {
  it('lets through the allowed host:port, and nothing else of the loopback or private ranges', async () => {
    const port = (target.address() as AddressInfo).port
    const proxy = createEgressProxy({
      socketPath: join(dir, 'api.sock'),
      allow: egressTargets(`http://127.0.0.1:${port}`),
      logger: silentLogger,
    })
    const socket = await proxy.start()
    try {
      expect(await getThrough(socket, `http://127.0.0.1:${port}/v1/messages`)).toEqual({
        status: 200,
        body: 'TARGET',
      })
      const before = hits
      expect((await getThrough(socket, `http://127.0.0.1:${port + 1}/`)).status).toBe(403)
      expect(await connectThrough(socket, '169.254.169.254:443')).toBe(403)
      expect(await connectThrough(socket, 'example.com:443')).toBe(403)
      expect(hits).toBe(before)
    } finally {
      await proxy.close()
    }
  })

  it('for WebFetch, lets through public addresses only: no name that resolves to loopback', async () => {
    const proxy = createEgressProxy({
      socketPath: join(dir, 'web.sock'),
      allow: [],
      publicWeb: true,
      logger: silentLogger,
    })
    const socket = await proxy.start()
    try {
      for (const to of [
        '127.0.0.1:443',
        'localhost:443',
        '10.0.0.1:443',
        '[::1]:443',
        '169.254.169.254:80',
      ]) {
        expect(await connectThrough(socket, to), to).toBe(403)
      }
      // Only the web's ports, even to a public address.
      expect(await connectThrough(socket, '93.184.215.14:22')).toBe(403)
    } finally {
      await proxy.close()
    }
  })
})
