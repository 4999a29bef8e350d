// A port nothing listens on, for tests of refused connections.
import { type AddressInfo, createServer } from 'node:net';

/** A port on 127.0.0.1 that was listened on and closed again: connecting to it is refused. */
export async function deadPort(): Promise<number> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as AddressInfo;
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  return port;
}
