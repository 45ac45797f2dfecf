/** A TCP port that was free on 127.0.0.1 a moment ago (the OS picked it for a port-0 bind). */
export declare function freePort(): Promise<number>
/** Resolves once a TCP connection to host:port succeeds, rejects after `timeoutMs` (default 10 s). */
export declare function waitForPort(
  port: number,
  options?: { readonly host?: string; readonly timeoutMs?: number }
): Promise<void>
