// The few parts of Bun's and Deno's APIs the runtime jobs use (test/runtimes/*), so that the repo's
// tsc checks those files without either runtime's full type package.

declare module 'bun:test' {
  export function describe(name: string, body: () => void): void;
  export function it(name: string, body: (...args: any[]) => Promise<void> | void): void;
  export function beforeAll(body: () => Promise<void> | void): void;
  export function afterAll(body: () => Promise<void> | void): void;
}

declare const Bun: {
  readonly version: string;
  serve(options: {
    hostname: string;
    port: number;
    fetch(request: Request, server: unknown): Promise<Response> | Response;
  }): { readonly port: number; stop(closeActiveConnections?: boolean): Promise<void> };
};

declare namespace Deno {
  interface TestContext {
    step(definition: { name: string; ignore?: boolean; fn(): Promise<void> | void }): Promise<boolean>;
  }
  interface ServeHandlerInfo {
    readonly completed: Promise<void>;
  }
}

declare const Deno: {
  readonly version: { readonly deno: string };
  test(definition: { name: string; fn(t: Deno.TestContext): Promise<void> }): void;
  serve(
    options: { hostname: string; port: number; onListen?(address: unknown): void },
    handler: (request: Request, info: Deno.ServeHandlerInfo) => Promise<Response> | Response,
  ): { readonly addr: { readonly port: number }; shutdown(): Promise<void> };
};
