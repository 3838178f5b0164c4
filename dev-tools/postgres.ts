/**
 * A throwaway PostgreSQL cluster from Debian's `postgresql` package: initdb into a temporary
 * directory, started on a free loopback port, stopped and removed by the test. initdb refuses to
 * run as root, so as root the cluster belongs to the `postgres` user the package creates.
 */
import { execFile, execFileSync } from 'node:child_process'
import { chown, readdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { removeDir, tempDir } from './cli-env.js'

const run = promisify(execFile)

/** The newest installed server's programs (`/usr/lib/postgresql/<version>/bin`). */
const binDir = async () => {
  const root = '/usr/lib/postgresql'
  const versions = (await readdir(root).catch(() => [])).map(Number).filter(Number.isFinite)
  if (versions.length === 0) throw new Error(`PostgreSQL is not installed (no ${root}/<version>)`)
  return join(root, String(Math.max(...versions)), 'bin')
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

/** Runs a server program as the cluster's owner: `postgres` under root, else ourselves. */
const asOwner = (owner: { uid: number; gid: number } | undefined) => {
  return (program: string, args: string[]) =>
    owner
      ? run('setpriv', [
          `--reuid=${owner.uid}`,
          `--regid=${owner.gid}`,
          '--clear-groups',
          program,
          ...args,
        ])
      : run(program, args)
}

export type TestPostgres = {
  /** `postgres://postgres@127.0.0.1:<port>/<database>` */
  url: string
  /** A new empty database on the cluster, for one test's own tables. */
  database(name: string): Promise<string>
  /** Stops the server (an outage); `start` brings it back on the same port. */
  stop(): Promise<void>
  start(): Promise<void>
  close(): Promise<void>
}

export const startPostgres = async (): Promise<TestPostgres> => {
  const bin = await binDir()
  const dir = await tempDir('pg')
  const owner =
    process.getuid?.() === 0
      ? {
          uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
          gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
        }
      : undefined
  if (owner) await chown(dir, owner.uid, owner.gid)
  const exec = asOwner(owner)
  const data = join(dir, 'data')
  await exec(join(bin, 'initdb'), [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--no-sync',
  ])
  const port = await freePort()
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`
  const pgCtl = (...args: string[]) => exec(join(bin, 'pg_ctl'), ['-D', data, '-w', ...args])
  const start = async () => {
    await pgCtl('-o', options, '-l', join(dir, 'log'), 'start')
  }
  await start()
  const base = `postgres://postgres@127.0.0.1:${port}`
  let running = true
  return {
    url: `${base}/postgres`,
    async database(name) {
      await exec(join(bin, 'createdb'), [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-U',
        'postgres',
        name,
      ])
      return `${base}/${name}`
    },
    async stop() {
      await pgCtl('-m', 'fast', 'stop')
      running = false
    },
    async start() {
      await start()
      running = true
    },
    async close() {
      if (running) await pgCtl('-m', 'immediate', 'stop').catch(() => {})
      await removeDir(dir)
    },
  }
}
