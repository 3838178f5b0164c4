/**
 * `npm run soak`: runner hosts killed, restarted and stopped under a front door (soak/hosts.ts);
 * `npm run soak -- --postgres`: two front doors on one PostgreSQL over two runner hosts, a front
 * door and a host each killed and restarted (soak/postgres.ts).
 */
await import(process.argv.includes('--postgres') ? './soak/postgres.js' : './soak/hosts.js')

export {}
