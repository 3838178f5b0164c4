/**
 * What time it is, for code whose behaviour turns on intervals and lifetimes (the keys file's
 * check, kept sessions' lifetime, the quota's reset): injected, so tests move time on instead of
 * sleeping through it.
 */
export type Clock = { now(): number }

export const systemClock: Clock = { now: () => Date.now() }
