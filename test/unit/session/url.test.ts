// Unit (portable): URL parsing and reference resolution for redirects and download descriptors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatUrl, parseUrl, resolveUrl } from '../../../src/session/http';

describe('resolveUrl', () => {
  const base = parseUrl('https://dm.example.com:8443/fw/dir/pkg.dd?x=1')!;
  const r = (ref: string): string | null => {
    const u = resolveUrl(base, ref);
    return u === null ? null : formatUrl(u);
  };

  test('absolute http(s) URLs replace the base', () => {
    assert.equal(r('http://other.example/a.bin'), 'http://other.example:80/a.bin');
    assert.equal(r('https://[::1]:9/x'), 'https://[::1]:9/x');
  });

  test('another scheme is absolute and unusable, never a relative path', () => {
    for (const ref of ['ftp://files.example/fw.bin', 'mailto:ops@example.com', 'urn:x:y', 'data:,abc', 'file:/etc/passwd']) {
      assert.equal(r(ref), null, ref);
    }
  });

  test('network-path, absolute-path, query-only and relative-path references', () => {
    assert.equal(r('//cdn.example/fw.bin'), 'https://cdn.example:443/fw.bin');
    assert.equal(r('/root.bin'), 'https://dm.example.com:8443/root.bin');
    assert.equal(r('?y=2'), 'https://dm.example.com:8443/fw/dir/pkg.dd?y=2');
    assert.equal(r('fw.bin'), 'https://dm.example.com:8443/fw/dir/fw.bin');
    assert.equal(r('sub/fw.bin?v=2'), 'https://dm.example.com:8443/fw/dir/sub/fw.bin?v=2');
    assert.equal(r('./a:b.bin'), 'https://dm.example.com:8443/fw/dir/./a:b.bin');
  });

  test('a fragment is dropped; bytes that may not reach a request line give null', () => {
    assert.equal(r('fw.bin#part2'), 'https://dm.example.com:8443/fw/dir/fw.bin');
    assert.equal(r('#top'), 'https://dm.example.com:8443/fw/dir/pkg.dd?x=1');
    assert.equal(r('https://h.example/p#f'), 'https://h.example:443/p');
    for (const ref of ['', 'a b', '/dm2\rX-Injected: 1', 'é.bin']) assert.equal(r(ref), null, JSON.stringify(ref));
  });
});
