/** A direct cold call of the CLI, as a script would make it: `claude -p … --output-format=json`. */
import { spawn } from 'node:child_process'

export const directCall =
  (binary: string, env: Record<string, string>, cwd: string) => async (i: number) => {
    const args = [
      '-p',
      `direct ${i}`,
      '--output-format=json',
      '--model=haiku',
      '--max-turns=1',
      '--tools=',
      '--setting-sources=',
      '--no-session-persistence',
    ]
    const child = spawn(binary, args, { cwd, env, stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
    const result = JSON.parse(out || '{}')
    if (code !== 0 || result.result !== `ECHO: direct ${i}`) {
      throw new Error(`direct call failed (exit ${code}): ${out.slice(0, 200)}`)
    }
  }
