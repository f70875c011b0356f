/**
 * The syslog log destination (src/daemon/logger.ts, `[logging] destination = "syslog"`): RFC 5424
 * messages with the JSON line as the message, over UDP and TCP to a real listener, secrets scrubbed
 * by value; and the real daemon started with it logs there instead of a file, and run with
 * `--foreground` echoes the file's line format (level names, ISO times) to stdout.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/daemon/logger.js';
import { homeRegistry, requireBuild, waitFor } from '../helpers/cli.js';

/** A syslog server on 127.0.0.1 keeping every message it receives (TCP: newline-framed). */
async function listen(mode: 'udp' | 'tcp'): Promise<{ address: string; messages: string[]; close(): Promise<void> }> {
  const messages: string[] = [];
  if (mode === 'udp') {
    const socket: UdpSocket = createSocket('udp4');
    socket.on('message', (m) => messages.push(m.toString('utf8')));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return { address: `udp://127.0.0.1:${socket.address().port}`, messages, close: () => new Promise((r) => socket.close(() => r())) };
  }
  const conns = new Set<Socket>();
  const server: Server = createServer((conn) => {
    conns.add(conn);
    let buffered = '';
    conn.on('data', (d) => {
      const parts = (buffered + d.toString('utf8')).split('\n');
      buffered = parts.pop()!;
      messages.push(...parts.filter((p) => p !== ''));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `tcp://127.0.0.1:${port}`,
    messages,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        for (const c of conns) c.destroy();
      }),
  };
}

/** The JSON line carried by an RFC 5424 message (what follows the structured data `-`). */
const jsonOf = (message: string): Record<string, unknown> => JSON.parse(message.slice(message.indexOf('{'))) as Record<string, unknown>;

describe('syslog destination', { timeout: 20_000 }, () => {
  it.each(['udp', 'tcp'] as const)('sends RFC 5424 messages over %s with the JSON line, facility and app name, secrets scrubbed', async (mode) => {
    const server = await listen(mode);
    const secret = 'sk-syslog-secret-123456';
    const tapped: Record<string, unknown>[] = [];
    const log = createLogger({
      file: '/nonexistent/caxton.log',
      level: 'info',
      destination: 'syslog',
      echo: false,
      maxFileBytes: 65_536,
      maxFiles: 0,
      syslog: { address: server.address, facility: 3 },
      scrub: (line) => line.replaceAll(secret, '[redacted]'),
      tap: (line) => tapped.push(JSON.parse(line) as Record<string, unknown>),
    });
    log.info({ request_id: 'req-1', note: `key ${secret}` }, 'hello syslog');
    log.warn('careful');
    try {
      await waitFor(`two messages over ${mode}`, () => server.messages.length >= 2);
      const [info, warn] = server.messages;
      // <PRI>1 TIMESTAMP HOST APP-NAME PROCID MSGID SD: facility 3 (daemon) * 8 + severity.
      expect(info).toMatch(/^<30>1 \S+ \S+ caxton \d+ - - /);
      expect(warn).toMatch(/^<28>1 /);
      expect(jsonOf(info!)).toMatchObject({ msg: 'hello syslog', request_id: 'req-1', note: 'key [redacted]' });
      expect(server.messages.join('\n')).not.toContain(secret);
      // The tap (the dashboard's live log) gets the file's line format: level names and ISO times.
      expect(tapped[0]).toMatchObject({ level: 'info', msg: 'hello syslog', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
      expect(tapped[1]).toMatchObject({ level: 'warn' });
    } finally {
      await server.close();
    }
  });

  describe('the real daemon', () => {
    requireBuild();
    const homes = homeRegistry();
    afterAll(() => homes.cleanupAll());

    it('with CAXTON_LOG_DESTINATION=syslog logs to syslog_address, not to the log file', async () => {
      const server = await listen('udp');
      try {
        const home = homes.create();
        home.writeAresToml(`[logging]\nsyslog_address = "${server.address}"\n`);
        home.env = { CAXTON_LOG_DESTINATION: 'syslog' };
        expect((await home.run(['init'])).exitCode).toBe(0);
        await home.start();
        const started = await waitFor('the start line over syslog', () => server.messages.map(jsonOf).find((m) => m.msg === 'caxton daemon started'));
        expect(started).toMatchObject({ component: 'daemon' });
        const file = existsSync(home.logFile) ? readFileSync(home.logFile, 'utf8') : '';
        expect(file).not.toContain('caxton daemon started');
        const logs = await home.run(['server', 'logs']);
        expect(logs.exitCode).not.toBe(0);
        expect(logs.stderr).toContain('syslog');
      } finally {
        await server.close();
      }
    });

    it('with --foreground echoes the file line format to stdout, not the syslog one', async () => {
      const server = await listen('udp');
      const home = homes.create();
      try {
        home.writeAresToml(`[logging]\nsyslog_address = "${server.address}"\n`);
        home.env = { CAXTON_LOG_DESTINATION: 'syslog' };
        expect((await home.run(['init'])).exitCode).toBe(0);
        const daemon = home.spawn(['server', 'start', '--port', '0', '--foreground'], { timeoutMs: 20_000 });
        let out = '';
        daemon.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
        const echoed = await waitFor('the start line echoed to stdout', () =>
          out
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as Record<string, unknown>)
            .find((m) => m.msg === 'caxton daemon started'),
        );
        expect(echoed).toMatchObject({ level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), component: 'daemon' });
        expect(echoed).not.toHaveProperty('hostname');
        // Syslog itself still gets its own format (numeric level, epoch time).
        const sent = await waitFor('the start line over syslog', () => server.messages.map(jsonOf).find((m) => m.msg === 'caxton daemon started'));
        expect(sent).toMatchObject({ level: 30, time: expect.any(Number) });
        daemon.kill('SIGTERM');
        await daemon;
      } finally {
        await server.close();
      }
    });
  });
});
