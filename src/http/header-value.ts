/**
 * A header value made from words a client or a runner host chose: only printable ASCII is kept
 * (anything else, CR and LF among it, becomes `?`), and at most 1 KiB, so no such word can split
 * a header or make the answer fail.
 */
export const headerValue = (text: string) => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 1024)
