/** The libc binding (platform/libc.ts), imported on first use: koffi stays unloaded until then. */
export const loadLibc = () => import('./libc.js');

/** What {@link loadLibc} resolves to. */
export type Libc = Awaited<ReturnType<typeof loadLibc>>;
