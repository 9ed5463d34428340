// Defaults of the native transport's limits, in one place: the configuration schema
// (probe.native.*) and the one-shot commands' --transport native both take them from here.
export const NATIVE_DEFAULTS = { connectTimeoutMs: 1_000, requestTimeoutMs: 5_000, maxFrameBytes: 4 * 1024 * 1024 } as const;
