import { describe, expect, it } from 'vitest';
import { containerTarget, parseContainerName } from '../../src/cli/target.js';
import { UsageError } from '../../src/cli/usage-error.js';

describe('containerTarget', () => {
  it('splits ACCOUNT/CONTAINER at the first slash and computes the uppercase CID', () => {
    const ref = containerTarget('check', ['myaccount/FVE0'], undefined);
    expect(ref).toEqual({ account: 'myaccount', container: 'FVE0', cid: '697ECB056A5F9339B36C3B0A020B5AB17B4B0160FBEBEA203315EA1FC1B61605' });
  });

  it('keeps later slashes in the container name', () => {
    expect(parseContainerName('check', 'acct/a/b/c')).toMatchObject({ account: 'acct', container: 'a/b/c' });
  });

  it('accepts any UTF-8 in names', () => {
    expect(parseContainerName('check', 'compte/été ☃ 𝄞')).toMatchObject({ account: 'compte', container: 'été ☃ 𝄞' });
  });

  it('uppercases a --cid given in lowercase (a lowercase CID addresses another base)', () => {
    const cid = '697ecb056a5f9339b36c3b0a020b5ab17b4b0160fbebea203315ea1fc1b61605';
    expect(containerTarget('check', [], cid)).toEqual({ cid: cid.toUpperCase() });
  });

  it.each([
    [[], undefined, /missing ACCOUNT\/CONTAINER/],
    [['noslash'], undefined, /is not ACCOUNT\/CONTAINER/],
    [['/ct'], undefined, /both parts must be non-empty/],
    [['acct/'], undefined, /both parts must be non-empty/],
    [['a/b', 'c/d'], undefined, /expected one ACCOUNT\/CONTAINER, got 2/],
    [[], 'XYZ', /--cid: "XYZ" is not a CID/],
    [['a/b'], '697ECB056A5F9339B36C3B0A020B5AB17B4B0160FBEBEA203315EA1FC1B61605', /either ACCOUNT\/CONTAINER or --cid/],
  ])('rejects %j --cid %j with a precise usage error', (positionals, cid, message) => {
    expect(() => containerTarget('check', positionals, cid)).toThrow(UsageError);
    expect(() => containerTarget('check', positionals, cid)).toThrow(message);
  });
});
