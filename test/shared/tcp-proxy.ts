/**
 * A TCP proxy on 127.0.0.1 in front of a node, for cutting a WebSocket mid-run the way a network does: `drop()`
 * destroys every open connection (both directions, no close frame), and `refuse(ms)` turns new connections away for
 * a while, so a client's reconnect back-off is exercised, not just its first retry. `silence(true)` is a host that
 * stopped answering (a lost availability zone): open connections are cut, new ones are accepted and then hear
 * nothing, so a client waits out its own timeouts; `silence(false)` forwards again.
 */
import net from "node:net";

export class TcpProxy {
  readonly port: number;
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #refuseUntil = 0;
  #silent = false;
  /** Connections accepted (and forwarded) since start. */
  accepted = 0;

  private constructor(server: net.Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  static async start(upstream: { host: string; port: number }): Promise<TcpProxy> {
    const holder: { proxy?: TcpProxy } = {};
    const server = net.createServer((client) => {
      const proxy = holder.proxy!;
      if (Date.now() < proxy.#refuseUntil) return void client.destroy();
      if (proxy.#silent) {
        proxy.#sockets.add(client);
        client.on("close", () => proxy.#sockets.delete(client));
        client.on("error", () => undefined);
        return;
      }
      proxy.accepted += 1;
      const target = net.connect(upstream.port, upstream.host);
      for (const socket of [client, target]) {
        proxy.#sockets.add(socket);
        socket.on("close", () => proxy.#sockets.delete(socket));
        socket.on("error", () => undefined);
      }
      client.pipe(target).pipe(client);
      client.on("close", () => target.destroy());
      target.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    holder.proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    return holder.proxy;
  }

  /** ws://127.0.0.1:<port>/ */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/`;
  }

  /** Cuts every open connection at once. */
  drop(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  /** Silent (true): open connections cut, new ones accepted and never answered. False: forwarding again. */
  silence(silent: boolean): void {
    this.#silent = silent;
    if (silent) this.drop();
  }

  /** postgresql://… `url` with its host and port replaced by this proxy's. */
  postgresUrl(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = "127.0.0.1";
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Refuses new connections for `ms`. */
  refuse(ms: number): void {
    this.#refuseUntil = Date.now() + ms;
  }

  async close(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
