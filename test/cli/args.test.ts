import { describe, expect, it } from 'vitest';
import { intOption, namespaceName, numberOption, parse, PROXY_OPTIONS, proxyUrl } from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/usage-error.js';

describe('command-line options', () => {
  it('rejects unknown options with the option named', () => {
    expect(() => parse('check', ['--frobnicate'], PROXY_OPTIONS)).toThrow(/Unknown option '--frobnicate'/);
  });

  it('rejects an option missing its value', () => {
    expect(() => parse('check', ['--proxy'], PROXY_OPTIONS)).toThrow(UsageError);
  });

  it('takes the proxy from --proxy, then $OIO_REPAIRD_PROXY_URL, then the default', () => {
    expect(proxyUrl('check', 'http://10.0.0.1:6006/', {})).toBe('http://10.0.0.1:6006');
    expect(proxyUrl('check', undefined, { OIO_REPAIRD_PROXY_URL: 'http://proxy:1' })).toBe('http://proxy:1');
    expect(proxyUrl('check', undefined, {})).toBe('http://127.0.0.1:6006');
  });

  it.each([['not a url'], ['ftp://x:1']])('rejects --proxy %j', (bad) => {
    expect(() => proxyUrl('check', bad, {})).toThrow(/--proxy/);
  });

  it('validates namespaces and numbers with the bounds in the message', () => {
    expect(namespaceName('check', undefined, {})).toBe('OPENIO');
    expect(() => namespaceName('check', 'a/b', {})).toThrow(/--ns/);
    expect(intOption('sim', 'port', '0', 6006, 0, 65535)).toBe(0);
    expect(() => intOption('sim', 'port', '70000', 6006, 0, 65535)).toThrow(/out of range \[0, 65535\]/);
    expect(() => intOption('sim', 'port', '-1', 6006, 0, 65535)).toThrow(/not a whole number/);
    expect(numberOption('sim', 'damaged-share', '0.25', 0, 0, 1)).toBe(0.25);
    expect(() => numberOption('sim', 'damaged-share', 'lots', 0, 0, 1)).toThrow(/not a number/);
  });
});
