/** Resident memory of a process in bytes (Linux: /proc), undefined where unknown. */
import { readFile } from 'node:fs/promises'

export const residentBytes = async (pid: number | undefined): Promise<number | undefined> => {
  if (pid === undefined) return undefined
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]
  return kib === undefined ? undefined : Number(kib) * 1024
}
