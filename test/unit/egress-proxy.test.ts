/** The sandbox's one way out, tried directly: what it lets through, and what it refuses. */
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import {
  createEgressProxy,
  createRoute,
  egressTargets,
} from '../../src/adapters/node/process/egress-proxy.js'
import { isPublicAddress } from '../../src/lib/addresses.js'
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

  // Every way to spell an address that is not public: the issue's `0` and `0.0.0.0` reached the
  // server's loopback before.
  const NOT_PUBLIC = [
    '0',
    '0.0.0.0',
    '0.1.2.3',
    '127.1',
    '127.0.0.1',
    '2130706433',
    '0x7f000001',
    '0x7f.0.0.1',
    '0177.0.0.1',
    'localhost',
    '10.0.0.1',
    '100.64.0.1',
    '169.254.169.254',
    '172.16.0.1',
    '192.0.0.8',
    '192.168.1.1',
    '198.18.0.1',
    '224.0.0.1',
    '240.0.0.1',
    '255.255.255.255',
    '[::]',
    '[::1]',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]',
    '[::127.0.0.1]',
    '[64:ff9b::7f00:1]',
    '[64:ff9b::a00:1]',
    '[64:ff9b:1::1]',
    '[2002:7f00:1::1]',
    '[2001::1]',
    '[2001:db8::1]',
    '[fd00::1]',
    '[fc00::1]',
    '[fe80::1]',
    '[fec0::1]',
    '[ff02::1]',
  ]

  it.each(NOT_PUBLIC)(
    'for WebFetch, refuses %s on every path (CONNECT and plain HTTP)',
    async (host) => {
      const proxy = createEgressProxy({
        socketPath: join(dir, 'spellings.sock'),
        allow: [],
        publicWeb: true,
        logger: silentLogger,
      })
      const socket = await proxy.start()
      try {
        for (const port of [80, 443]) {
          expect(await connectThrough(socket, `${host}:${port}`), `CONNECT ${host}:${port}`).toBe(
            403
          )
          const plain = await getThrough(socket, `http://${host}:${port}/`)
          expect(plain.status, `GET http://${host}:${port}/`).toBe(403)
        }
      } finally {
        await proxy.close()
      }
    }
  )
})

describe('public addresses', () => {
  it('are public unicast only, in IPv4 and IPv6 and the IPv6 forms of IPv4', () => {
    for (const address of [
      '93.184.215.14',
      '8.8.8.8',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
      '2002:808:808::1',
    ]) {
      expect(isPublicAddress(address), address).toBe(true)
    }
    for (const address of [
      '0.0.0.0',
      '127.0.0.1',
      '10.1.2.3',
      '::',
      '::1',
      '::ffff:10.0.0.1',
      'fd12::1',
      'fe80::1%eth0',
      'not-an-address',
      '1.2.3',
      '2001:db8::1',
    ]) {
      expect(isPublicAddress(address), address).toBe(false)
    }
  })

  it('is where the proxy connects: the address it checked, for a public one', async () => {
    const route = createRoute(new Set(), true)
    expect(await route('93.184.215.14', '443')).toBe('93.184.215.14')
    expect(await route('0x7f000001', '443')).toBeUndefined()
    expect(await route('93.184.215.14', '22')).toBeUndefined()
  })
})
