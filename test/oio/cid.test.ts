// CID computation against known vectors from the oio-sds sources (master:proxy/dir_actions.c doc
// comment, and the myaccount/FVE0 example of the seed), plus the CID shape helpers.
import { describe, expect, it } from 'vitest';
import { baseName, cidFromName, isCid, normalizeCid } from '../../src/oio/cid.js';

describe('cidFromName', () => {
  it('matches the oio-sds vector my_account/myreference', () => {
    expect(cidFromName('my_account', 'myreference')).toBe(
      '13C0470DBCE55371E6BD5975EFF23A18F658CDC1656A7474DEF1ED0B0EDDA9FC',
    );
  });

  it('matches the oio-sds vector myaccount/FVE0', () => {
    expect(cidFromName('myaccount', 'FVE0')).toBe('697ECB056A5F9339B36C3B0A020B5AB17B4B0160FBEBEA203315EA1FC1B61605');
  });

  it('separates account and container with a NUL, so moving a character between them changes the CID', () => {
    expect(cidFromName('ab', 'c')).not.toBe(cidFromName('a', 'bc'));
  });

  it('hashes names as UTF-8', () => {
    const cid = cidFromName('compte', 'conteneur é/ 日本');
    expect(isCid(cid)).toBe(true);
    expect(cid).toBe(cid.toUpperCase());
    expect(cid).not.toBe(cidFromName('compte', 'conteneur e/ 日本'));
  });
});

describe('isCid / normalizeCid', () => {
  const cid = '697ECB056A5F9339B36C3B0A020B5AB17B4B0160FBEBEA203315EA1FC1B61605';

  it('accepts 64 hex characters in any case', () => {
    expect(isCid(cid)).toBe(true);
    expect(isCid(cid.toLowerCase())).toBe(true);
  });

  it('rejects wrong lengths and non-hex characters', () => {
    expect(isCid(cid.slice(1))).toBe(false);
    expect(isCid(`${cid}0`)).toBe(false);
    expect(isCid(`${cid.slice(1)}G`)).toBe(false);
    expect(isCid('')).toBe(false);
  });

  it('uppercases a lowercase CID (a lowercase one addresses another, missing base)', () => {
    expect(normalizeCid(cid.toLowerCase())).toBe(cid);
  });

  it('throws a RangeError naming a bad value', () => {
    expect(() => normalizeCid('not-a-cid')).toThrow(RangeError);
    expect(() => normalizeCid('not-a-cid')).toThrow(/not-a-cid/);
  });

  it('names the meta2 base CID.1', () => {
    expect(baseName(cid)).toBe(`${cid}.1`);
  });
});
