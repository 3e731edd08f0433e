// Interop (node-only, reads a file): the example factory profile that the image installs
// (test/fixtures/bootstrap/factory-profile.json) validates and installs on a fresh Node-platform
// device: DevInfo/DevDetail values served by the CSPs, the account with write-only secrets.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { installFactoryProfile, parseBootstrapProfile } from '../../../src/bootstrap/profile';
import { DevDetailCsp } from '../../../src/csp/devdetail';
import { DevInfoCsp } from '../../../src/csp/devinfo';
import { utf8Decode } from '../../../src/util/utf8';
import { fixture } from '../../helpers/paths';
import { device } from '../../unit/bootstrap/helpers';

describe('the example factory profile', () => {
  test('parses, installs once, and serves DevInfo/DevDetail', () => {
    const p = parseBootstrapProfile(JSON.parse(readFileSync(fixture('bootstrap', 'factory-profile.json'), 'utf8')));
    const d = device();
    d.tree.addCsp(new DevInfoCsp(p.devInfo));
    d.tree.addCsp(new DevDetailCsp(p.devDetail));
    assert.deepEqual(installFactoryProfile(d.tree, d.dmacc, p.accounts).installed, ['com.mgmtsrv.manage']);
    const a = d.dmacc.findByServerId('com.mgmtsrv.manage')!;
    assert.equal(a.addr, 'https://dm.example.com/dm');
    assert.equal(utf8Decode(a.server.secret), 'change-me-server');
    assert.equal(d.tree.get('com.mgmtsrv.manage', `${a.path}/AppAuth/SRVCRED/AAuthSecret`).status, 405);
    const get = (uri: string): string => utf8Decode(d.tree.get('com.mgmtsrv.manage', uri).items[0]!.data!);
    assert.equal(get('./DevInfo/Man'), 'Acme Devices');
    assert.equal(get('./DevInfo/Ext/Region'), 'EU');
    assert.equal(get('./DevDetail/FwV'), 'FW-1.0.0');
    assert.deepEqual(p.ota.sec, ['NETWORKID', 'USERPIN', 'USERPIN_NETWORKID']);
  });
});
