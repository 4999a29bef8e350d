/** @mlkit/core/http — the transport every remote provider uses; exported for third-party providers. */
export {};
