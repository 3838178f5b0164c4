/**
 * Login tokens at rest: AES-256-GCM under the server's secret. The secret is
 * `CLAUDE_LOGINS_SECRET` (any string of 32 or more characters) or, without it, a file of 32 random
 * bytes made on first use, readable by the server's user alone (0600). The AES key is derived from
 * the secret with HKDF, so a passphrase works as well as random bytes.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { chmod, mkdir, open, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ConfigError } from '../../../errors/index.js'

export type Sealed = { iv: string; tag: string; data: string }

const INFO = 'claude-code-api logins v1'

export const keyFromSecret = (secret: string | Uint8Array) =>
  Buffer.from(hkdfSync('sha256', secret, 'claude-code-api', INFO, 32))

/** Seals `text`; `context` (the login's name) is bound in, so a sealed token cannot be moved. */
export const seal = (key: Buffer, text: string, context: string): Sealed => {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(context))
  const data = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()])
  return {
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  }
}

/** Opens what `seal` made; throws when the key or the context is not the one it was sealed with. */
export const unseal = (key: Buffer, sealed: Sealed, context: string): string => {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'))
  decipher.setAAD(Buffer.from(context))
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'))
  return Buffer.concat([
    decipher.update(Buffer.from(sealed.data, 'base64')),
    decipher.final(),
  ]).toString('utf8')
}

/** The secret file's bytes, made (0600, never overwritten) when `create` and it is not there. */
export const readSecretFile = async (path: string, create: boolean): Promise<Buffer> => {
  try {
    return await readFile(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw error
  }
  const secret = randomBytes(32)
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  // `wx`: two commands adding a login at once cannot each make one.
  const file = await open(path, 'wx', 0o600).catch(async (error) => {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined
    throw error
  })
  if (!file) return readFile(path)
  try {
    await file.writeFile(secret)
  } finally {
    await file.close()
  }
  await chmod(path, 0o600)
  return secret
}

export type SecretSource = { env?: string | undefined; file: string }

/** The AES key from the environment's secret, else from the secret file. */
export const loadKey = async ({ env, file }: SecretSource, create: boolean) => {
  if (env !== undefined && env !== '') {
    if (env.length < 32) throw new ConfigError('CLAUDE_LOGINS_SECRET must be 32 characters or more')
    return keyFromSecret(env)
  }
  return keyFromSecret(await readSecretFile(file, create))
}
