import http from 'node:http';
import net from 'node:net';

/** A CONNECT proxy on loopback, for the upload's proxy tests. */
export interface ConnectProxy {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Its port. */
  port: number;
  /** Every tunnel asked of it: `host:port` and the Proxy-Authorization header (or `-`). */
  seen: { target: string; auth: string }[];
  /** Close it and every tunnel. */
  stop: () => Promise<void>;
}

/**
 * Start a CONNECT proxy on 127.0.0.1 that records every tunnel asked of it and opens it.
 * @param options.auth the Proxy-Authorization it requires (407 otherwise); none by default
 */
export async function startConnectProxy(options: { auth?: string } = {}): Promise<ConnectProxy> {
  const seen: ConnectProxy['seen'] = [];
  const proxy = http.createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const target = req.url ?? '';
    const auth = req.headers['proxy-authorization'] ?? '-';
    seen.push({ target, auth });
    if (options.auth !== undefined && auth !== options.auth) {
      socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n');
      return;
    }
    const colon = target.lastIndexOf(':');
    const host = target.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    const upstream = net.connect(Number(target.slice(colon + 1)), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    stop: async () => {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}
