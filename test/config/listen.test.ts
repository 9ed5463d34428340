import { describe, expect, it } from 'vitest';
import { formatListen, isLoopbackHost, parseListen } from '../../src/config/listen.js';

describe('parseListen', () => {
  it.each([
    ['127.0.0.1:9464', '127.0.0.1', 9464],
    ['0.0.0.0:0', '0.0.0.0', 0],
    ['localhost:80', 'localhost', 80],
    ['[::1]:9464', '::1', 9464],
    ['[::]:65535', '::', 65535],
    ['[fe80::1%eth0]:9464', 'fe80::1%eth0', 9464],
  ])('accepts %s', (listen, host, port) => {
    expect(parseListen(listen)).toEqual({ ok: true, address: { host, port } });
  });

  it.each([':9464', '9464', '127.0.0.1', '127.0.0.1:', '::1:9464', '[::1]', 'host:port', 'a b:1', '127.0.0.1:65536', 'h:000009464', 'http://h:1'])(
    'refuses %s',
    (listen) => {
      expect(parseListen(listen).ok).toBe(false);
    },
  );

  it('brackets IPv6 hosts when formatting', () => {
    expect(formatListen({ host: '::1', port: 1 })).toBe('[::1]:1');
    expect(formatListen({ host: '127.0.0.1', port: 1 })).toBe('127.0.0.1:1');
  });
});

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '::ffff:127.0.0.1'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['0.0.0.0', '::', '10.0.0.5', '192.0.2.1', 'fe80::1%eth0', 'meta2-host-1', '128.0.0.1', '::ffff:10.0.0.1'])('%s faces a network', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});
