/**
 * The dashboard's data: the same JSON endpoints the command line reads (`/admin/usage`,
 * `/admin/status`), with the key from the page. A refusal (no key, a wrong one, one that is not
 * an admin's) is said in words, and no data is kept.
 */
import type * as v from 'valibot'
import type { AdminStatusResponse } from '../../src/contract/admin.js'
import type { UsageResponse } from '../../src/contract/usage.js'

export type Usage = v.InferOutput<typeof UsageResponse>
export type AdminStatus = v.InferOutput<typeof AdminStatusResponse>

export class Refused extends Error {}

const explain = (status: number, detail: string | undefined) => {
  if (status === 401) return 'This key is not known to the server. Check it and try again.'
  if (status === 403)
    return 'This key is not an admin key: the dashboard needs one (keys create --admin).'
  return `The server answered ${status}${detail ? `: ${detail}` : ''}.`
}

export const createAdminApi = (key: () => string) => {
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(path, {
      headers: key() ? { authorization: `Bearer ${key()}` } : {},
    })
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { detail?: string }
      throw new Refused(explain(response.status, body.detail))
    }
    return (await response.json()) as T
  }
  return {
    usage: () => get<Usage>('/admin/usage?days=30'),
    status: () => get<AdminStatus>('/admin/status'),
  }
}
