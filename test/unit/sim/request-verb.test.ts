import { describe, expect, it } from 'vitest';
import { requestVerb } from '../../../src/sim/api/request-info.ts';

const q = (s = '') => new URLSearchParams(s);

describe('requestVerb (RequestInfoFactory)', () => {
  it.each([
    ['GET', true, '', 'get'],
    // A named object with ?watch stays `get`: only a collection becomes a watch.
    ['GET', true, 'watch=true', 'get'],
    ['GET', false, '', 'list'],
    ['GET', false, 'watch=true', 'watch'],
    ['GET', false, 'watch=1', 'watch'],
    ['GET', false, 'watch=false', 'list'],
    ['HEAD', false, '', 'list'],
    ['POST', false, '', 'create'],
    ['PUT', true, '', 'update'],
    ['PATCH', true, '', 'patch'],
    ['DELETE', true, '', 'delete'],
    ['DELETE', false, '', 'deletecollection'],
    ['OPTIONS', false, '', undefined],
  ] as const)('%s named=%s ?%s → %s', (method, named, query, verb) => {
    expect(requestVerb(method, named, q(query))).toBe(verb);
  });
});
