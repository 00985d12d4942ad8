import { describe, expect, it } from 'vitest';
import { isDuration, parseDuration } from '../../src/harness/duration.ts';
import { inverseMergePatch } from '../../src/harness/inverse-patch.ts';
import { runNamespace } from '../../src/harness/run-id.ts';
import { locateInYaml } from '../../src/harness/source-location.ts';
import { closest } from '../../src/harness/suggest.ts';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    [250, 250],
  ])('%s = %d ms', (input, ms) => {
    expect(isDuration(input)).toBe(true);
    expect(parseDuration(input)).toBe(ms);
  });
  it.each(['thirty', '30', '-1s', '1d', '', 's'])('%s is not a duration', (input) => {
    expect(isDuration(input)).toBe(false);
  });
});

describe('inverse merge patch', () => {
  it('restores touched fields, removes added ones, restores lists whole', () => {
    const before = {
      metadata: { name: 'n', resourceVersion: '7', labels: { a: '1' } },
      spec: { taints: [{ key: 'x' }], podCIDR: '10.0.0.0/24' },
    };
    const patch = { metadata: { labels: { a: '2', b: '3' } }, spec: { unschedulable: true, taints: [] } };
    expect(inverseMergePatch(before, patch)).toEqual({
      metadata: { labels: { a: '1', b: null } },
      spec: { unschedulable: null, taints: [{ key: 'x' }] },
    });
  });
});

describe('suggestions and names', () => {
  it('suggests close names only', () => {
    expect(closest('pod-kil', ['pod-kill', 'node-drain'])).toBe('pod-kill');
    expect(closest('zzzzzz', ['pod-kill', 'node-drain'])).toBeUndefined();
  });
  it('run namespaces are DNS labels of at most 63 characters', () => {
    const ns = runNamespace(
      '20261123-101010-abcdef',
      'a-very-long-scenario-name-that-goes-on-and-on-and-on-forever',
      'control',
    );
    expect(ns.length).toBeLessThanOrEqual(63);
    expect(ns).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(ns.endsWith('-ctl')).toBe(true);
  });
  it('finds YAML lines for nested paths', () => {
    const text = 'provider: sim\nsuites:\n  nightly:\n    - a\n    - b\n';
    expect(locateInYaml(text, ['suites', 'nightly', 1])).toBe(5);
    expect(locateInYaml(text, ['provider'])).toBe(1);
    expect(locateInYaml(text, ['missing'])).toBe(1);
  });
});
