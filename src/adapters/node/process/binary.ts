/**
 * Finds the Claude Code binary: CLAUDE_BIN, else the pinned `@anthropic-ai/claude-code`
 * dependency, else `claude` on PATH.
 */
import { execFile } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { createRequire } from 'node:module'
import { delimiter, dirname, join } from 'node:path'
import { CliNotFoundError } from '../../../errors/index.js'

export type ClaudeBinary = { path: string; source: 'env' | 'package' | 'path' }

const isExecutable = (path: string) => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

const fromPackage = (): string | undefined => {
  try {
    const pkg = createRequire(import.meta.url).resolve('@anthropic-ai/claude-code/package.json')
    const path = join(dirname(pkg), 'bin', 'claude.exe')
    return isExecutable(path) ? path : undefined
  } catch {
    return undefined
  }
}

const fromPath = (pathVariable: string | undefined): string | undefined =>
  (pathVariable ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, 'claude'))
    .find(isExecutable)

export const resolveClaudeBinary = (
  env: Record<string, string | undefined>,
  explicit?: string
): ClaudeBinary | null => {
  const configured = explicit ?? env.CLAUDE_BIN
  if (configured) return { path: configured, source: 'env' }
  const bundled = fromPackage()
  if (bundled) return { path: bundled, source: 'package' }
  const onPath = fromPath(env.PATH)
  return onPath ? { path: onPath, source: 'path' } : null
}

/** A probe's own deadline, and a signal that stops it early (the server closing). */
export type ProbeOptions = { timeoutMs?: number; signal?: AbortSignal }

/**
 * Runs the CLI with `args` and settles once the process has exited: a stopped probe must not
 * still be writing into the CLI's config dir when the caller moves on.
 */
const probeCli = (
  path: string,
  args: string[],
  env: Record<string, string> | undefined,
  { timeoutMs, signal }: ProbeOptions
): Promise<{ ok: boolean; stdout: string }> =>
  new Promise((resolve) => {
    const child = execFile(path, args, { timeout: timeoutMs, env, signal }, (error, stdout) => {
      const done = () => resolve({ ok: !error, stdout })
      const exited = child.pid === undefined || child.exitCode !== null || child.signalCode !== null
      if (exited) done()
      else child.once('exit', done)
    })
  })

/** `claude --version`, trimmed (`2.1.330 (Claude Code)`), or null when it cannot run. */
export const readClaudeVersion = async (
  path: string,
  env?: Record<string, string>,
  { timeoutMs = 5_000, signal }: ProbeOptions = {}
): Promise<string | null> => {
  const { ok, stdout } = await probeCli(path, ['--version'], env, { timeoutMs, signal })
  return (ok && stdout.trim()) || null
}

export type ClaudeAuth = { loggedIn: boolean; authMethod: string | null }

/** `claude auth status` (JSON): whether the CLI has credentials, and of which kind. */
export const readClaudeAuth = async (
  path: string,
  env: Record<string, string>,
  { timeoutMs = 10_000, signal }: ProbeOptions = {}
): Promise<ClaudeAuth | null> => {
  // It exits 1 when logged out, with the same JSON: its output counts either way.
  const { stdout } = await probeCli(path, ['auth', 'status'], env, { timeoutMs, signal })
  try {
    const parsed = JSON.parse(stdout) as { loggedIn?: unknown; authMethod?: unknown }
    return {
      loggedIn: parsed.loggedIn === true,
      authMethod: typeof parsed.authMethod === 'string' ? parsed.authMethod : null,
    }
  } catch {
    return null
  }
}

/** The binary a run needs, or the error that says how to get one. */
export const requireClaudeBinary = (env: Record<string, string | undefined>, explicit?: string) => {
  const found = resolveClaudeBinary(env, explicit)
  if (!found) {
    throw new CliNotFoundError(
      'The Claude Code CLI is not installed on the server (set CLAUDE_BIN or install @anthropic-ai/claude-code)'
    )
  }
  return found
}
