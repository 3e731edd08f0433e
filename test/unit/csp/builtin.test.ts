// Layer: unit (portable). DevInfo and DevDetail CSPs: values from the host config, Get-only,
// permanent nodes, URI limits published from the tree limits, package-1 items.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { valueIn } from '../../../src/csp/Csp';
import { DevInfoCsp, DEVINFO_MO } from '../../../src/csp/devinfo';
import { DevDetailCsp } from '../../../src/csp/devdetail';
import { newTree, text } from '../tree/helpers';

const S = 'srv1';
const FULL = 'Add=*&Get=*&Replace=*&Delete=*&Exec=*';

function setup() {
  const t = newTree({ rootAcl: FULL, limits: { maxUriDepth: 12, maxUriLength: 200, maxSegmentLength: 40 } });
  const info = new DevInfoCsp({ devId: 'IMEI:493005100592800', man: 'Acme', mod: 'Router 9', dmV: '1.0.0', lang: 'en-US', ext: { Serial: 'SN42' } });
  const detail = new DevDetailCsp({ devTyp: 'router', oem: 'Acme OEM', fwV: '1.2.3', swV: '4.5', hwV: 'B' });
  t.tree.addCsp(info);
  t.tree.addCsp(detail);
  return { ...t, info, detail };
}

describe('DevInfo', () => {
  test('Get of every node, listing and MO type', () => {
    const { tree } = setup();
    assert.equal(text(tree.get(S, './DevInfo')), 'DevId/Man/Mod/DmV/Lang/Ext');
    assert.equal(tree.get(S, './DevInfo').items[0]!.type, DEVINFO_MO);
    const want: Record<string, string> = { DevId: 'IMEI:493005100592800', Man: 'Acme', Mod: 'Router 9', DmV: '1.0.0', Lang: 'en-US', 'Ext/Serial': 'SN42' };
    for (const [k, v] of Object.entries(want)) {
      const r = tree.get(S, `./DevInfo/${k}`);
      assert.equal(r.status, 200, k);
      assert.equal(text(r), v, k);
      assert.equal(r.items[0]!.format, 'chr');
    }
  });
  test('read-only and permanent: Add/Replace/Delete → 405, even with full ACL rights', () => {
    const { tree } = setup();
    assert.equal(tree.replace(S, './DevInfo/Man', valueIn('Evil')).status, 405);
    assert.equal(tree.add(S, './DevInfo/New', valueIn('x')).status, 405);
    assert.equal(tree.delete(S, './DevInfo/Lang').status, 405);
    assert.equal(tree.delete(S, './DevInfo').status, 405);
    assert.equal(tree.replace(S, './DevInfo/Man?prop=Name', valueIn('M')).status, 405);
    assert.equal(text(tree.get(S, './DevInfo/Man')), 'Acme');
  });
  test('update() changes values at run time; Ext entries appear as nodes', () => {
    const { tree, info } = setup();
    info.update({ lang: 'fr-FR', ext: { Imsi: '001010123456789' } });
    assert.equal(text(tree.get(S, './DevInfo/Lang')), 'fr-FR');
    assert.equal(text(tree.get(S, './DevInfo/Ext')), 'Serial/Imsi');
    assert.throws(() => info.update({ devId: '' }), TypeError);
  });
  test('package 1 items: one per leaf, Source LocURI + Data + Meta Format chr', () => {
    const { info } = setup();
    assert.deepEqual(info.pkg1Items(), [
      { source: './DevInfo/DevId', data: 'IMEI:493005100592800', meta: { format: 'chr' } },
      { source: './DevInfo/Man', data: 'Acme', meta: { format: 'chr' } },
      { source: './DevInfo/Mod', data: 'Router 9', meta: { format: 'chr' } },
      { source: './DevInfo/DmV', data: '1.0.0', meta: { format: 'chr' } },
      { source: './DevInfo/Lang', data: 'en-US', meta: { format: 'chr' } },
    ]);
  });
  test('bad config → TypeError', () => {
    assert.throws(() => new DevInfoCsp({ devId: '', man: '', mod: '', dmV: '', lang: '' }), TypeError);
    assert.throws(() => new DevInfoCsp({ devId: 'x', man: 'm', mod: 'm', dmV: '1', lang: 'en', ext: { 'a/b': 'x' } }), TypeError);
  });
});

describe('DevDetail', () => {
  test('values, LrgObj true (bool), URI limits = the tree limits', () => {
    const { tree } = setup();
    assert.equal(text(tree.get(S, './DevDetail/FwV')), '1.2.3');
    assert.equal(text(tree.get(S, './DevDetail/OEM')), 'Acme OEM');
    const lo = tree.get(S, './DevDetail/LrgObj');
    assert.equal(text(lo), 'true');
    assert.equal(lo.items[0]!.format, 'bool');
    assert.equal(text(tree.get(S, './DevDetail/URI/MaxDepth')), '12');
    assert.equal(text(tree.get(S, './DevDetail/URI/MaxTotLen')), '200');
    assert.equal(text(tree.get(S, './DevDetail/URI/MaxSegLen')), '40');
    assert.equal(tree.replace(S, './DevDetail/FwV', valueIn('9')).status, 405);
  });
  test('the published limits are the enforced ones', () => {
    const { tree } = setup();
    const seg = Number(text(tree.get(S, './DevDetail/URI/MaxSegLen')));
    assert.equal(tree.get(S, './DevDetail/' + 'x'.repeat(seg)).status, 404);
    assert.equal(tree.get(S, './DevDetail/' + 'x'.repeat(seg + 1)).status, 414);
  });
  test('update() after a firmware update', () => {
    const { tree, detail } = setup();
    detail.update({ fwV: '2.0.0' });
    assert.equal(text(tree.get(S, './DevDetail/FwV')), '2.0.0');
  });
});
