/** Every file under a folder, and every process's command line and environment, as text: to search for what must not be there. */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** Files below 20 MB under `root`, each with its text (latin1, so any bytes read). */
export const filesUnder = async (root: string): Promise<Array<[string, string]>> => {
  const found: Array<[string, string]> = []
  for (const entry of await readdir(root, { recursive: true }).catch(() => [])) {
    const path = join(root, entry)
    const info = await stat(path).catch(() => undefined)
    if (info?.isFile() && info.size < 20_000_000) {
      found.push([path, await readFile(path, 'latin1').catch(() => '')])
    }
  }
  return found
}

/** Every process's command line and environment (`/proc/<pid>/…`), each with its text. */
export const processTexts = async (): Promise<Array<[string, string]>> => {
  const found: Array<[string, string]> = []
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    for (const part of ['cmdline', 'environ']) {
      const path = `/proc/${pid}/${part}`
      found.push([path, await readFile(path, 'latin1').catch(() => '')])
    }
  }
  return found
}
