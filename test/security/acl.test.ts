// Security (node-only): two (three) DM servers on one device. Server B runs a real session against
// the device and tries every way to read or change server A's DMAcc account (DM 1.2 form) and
// server C's (DM 1.1.2 flat form): Get of nodes, properties and tree listings, Replace of values
// and ACLs, Delete, Add inside the account, Copy of a secret, Exec, a clash on ServerID, and an
// Atomic mixing allowed and forbidden commands. It also tries a node whose ACL server A set. Every
// attempt must be refused (425, or 405/418 where the node kind decides), no result may carry A's
// or C's data, A's and C's subtrees must be bit-for-bit unchanged, and A must still run a session.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../target/node/server';
import type { RunningServer } from '../../target/node/server';
import { parseScript } from '../../src/server/script';
import type { Agent } from '../../src/agent/Agent';
import { makeDevice } from '../helpers/device';

const A = 'com.mgmtsrv.manage';
const B = 'com.other.server';
const C = 'com.legacy.server';
const ACC_A = './DMAcc/com.mgmtsrv.manage';
const ACC_C = './SyncML/DMAcc/com.legacy.server';
const SECRETS = ['a-client-secret', 'a-server-secret', 'c-client-pw', 'c-server-pw'];

const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await s.close(); });
async function serve(script: Record<string, unknown>): Promise<RunningServer> {
  const s = await startServer({ script: parseScript(script), port: 0 });
  servers.push(s);
  return s;
}

/** Every node under `root` with format, ACL and value (secrets included: the device's own view). */
function subtree(agent: Agent, root: string): Record<string, string> {
  const st = agent.tree.store;
  const out: Record<string, string> = {};
  const walk = (p: string): void => {
    const i = st.info(p);
    out[p] = `${i?.format}|${i?.acl}|${Buffer.from(st.read(p) ?? []).toString('hex')}`;
    for (const c of st.children(p) ?? []) walk(`${p}/${c}`);
  };
  walk(root);
  return out;
}

const DENIED = [425];
const DENIED_OR_NOT_ALLOWED = [425, 405];

describe('security: a second server cannot read or change another server\'s account or protected nodes', () => {
  test('server B attacks A (DM 1.2 DMAcc), C (DM 1.1.2 DMAcc) and a node A protected', async () => {
    // 1. server A creates a protected node (only A may Get/Replace/Delete it)
    const srvA = await serve({
      serverId: A,
      auth: { server: { type: 'md5', username: A, password: 'a-server-secret', nonce: Buffer.from([1, 2]).toString('base64') } },
      packages: [{ commands: [
        { cmd: 'Add', target: './Vendor/omadm/Sync/privA', format: 'node', expect: 200 },
        { cmd: 'Add', target: './Vendor/omadm/Sync/privA/Addr', data: 'https://a-private-token.example/ds', format: 'chr', expect: 200 },
        { cmd: 'Replace', target: './Vendor/omadm/Sync/privA?prop=ACL', data: `Get=${A}&Replace=${A}&Delete=${A}&Add=${A}`, expect: 200 },
        // the Sync root grants Replace to every server (SYNC_ROOT_ACL), and Replace on the parent
        // lets a server rewrite a child's ACL (facts §7.3): A takes Replace on the root for itself
        { cmd: 'Replace', target: './Vendor/omadm/Sync?prop=ACL', data: `Add=*&Delete=${A}&Get=*&Replace=${A}`, expect: 200 },
      ] }],
    });
    const forbidden = (cmd: string, target: string, extra: Record<string, unknown> = {}, expect: number[] = DENIED): Record<string, unknown> => ({ cmd, target, expect, ...extra });
    const srvB = await serve({
      serverId: B,
      packages: [{ commands: [
        // reading A's account
        forbidden('Get', ACC_A),
        forbidden('Get', `${ACC_A}/ServerID`),
        forbidden('Get', `${ACC_A}/AppAddr/1/Addr`),
        forbidden('Get', `${ACC_A}/AppAuth/CLCRED/AAuthName`),
        forbidden('Get', `${ACC_A}/AppAuth/CLCRED/AAuthSecret`, {}, DENIED_OR_NOT_ALLOWED),
        forbidden('Get', `${ACC_A}/AppAuth/SRVCRED/AAuthData`, {}, DENIED_OR_NOT_ALLOWED),
        forbidden('Get', `${ACC_A}?list=Struct`),
        forbidden('Get', `${ACC_A}?prop=ACL`),
        { cmd: 'Get', target: './DMAcc?list=StructData', expect: [200, 425] },
        { cmd: 'Get', target: '.?list=StructData', expect: [200, 413, 425] },
        // changing it
        forbidden('Replace', `${ACC_A}/AppAddr/1/Addr`, { data: 'https://evil.example/dm', format: 'chr' }),
        forbidden('Replace', `${ACC_A}/AppAuth/CLCRED/AAuthSecret`, { data: 'owned', format: 'chr' }),
        forbidden('Replace', `${ACC_A}/AppAuth/SRVCRED/AAuthData`, { data: 'AAAAAA==', format: 'b64' }),
        forbidden('Replace', `${ACC_A}?prop=ACL`, { data: `Get=*&Replace=*&Delete=*&Add=*` }),
        forbidden('Replace', `${ACC_A}/ServerID?prop=ACL`, { data: `Replace=${B}` }),
        forbidden('Replace', `${ACC_A}?prop=Name`, { data: 'renamed' }),
        forbidden('Add', `${ACC_A}/AppAuth/EVIL`, { format: 'node' }),
        forbidden('Add', `${ACC_A}/AppAddr/2/Addr`, { data: 'https://evil.example/dm', format: 'chr' }),
        forbidden('Exec', ACC_A, {}, DENIED_OR_NOT_ALLOWED),
        forbidden('Copy', './Vendor/omadm/Sync/loot', { source: `${ACC_A}/AppAuth/CLCRED/AAuthSecret` }, [425, 405, 403, 404]),
        forbidden('Delete', `${ACC_A}/AppAddr`),
        forbidden('Delete', ACC_A),
        // impersonating A: a new account of B's with A's ServerID
        { cmd: 'Add', target: './DMAcc/evil', format: 'node', expect: [200, 425] },
        { cmd: 'Add', target: './DMAcc/evil/ServerID', data: A, format: 'chr', expect: [418, 425, 404] },
        // the root ACL
        forbidden('Replace', '.?prop=ACL', { data: `Add=*&Get=*&Replace=${B}` }),
        // the DM 1.1.2 flat account of C
        forbidden('Get', `${ACC_C}/ServerPW`, {}, DENIED_OR_NOT_ALLOWED),
        forbidden('Get', `${ACC_C}/UserName`),
        forbidden('Replace', `${ACC_C}/Addr`, { data: 'https://evil.example/dm', format: 'chr' }),
        forbidden('Replace', `${ACC_C}/ClientPW`, { data: 'owned', format: 'chr' }),
        forbidden('Delete', ACC_C),
        // the node A protected
        forbidden('Get', './Vendor/omadm/Sync/privA/Addr'),
        forbidden('Replace', './Vendor/omadm/Sync/privA/Addr', { data: 'https://x.example/', format: 'chr' }),
        forbidden('Replace', './Vendor/omadm/Sync/privA?prop=ACL', { data: 'Get=*' }),
        forbidden('Replace', './Vendor/omadm/Sync?prop=ACL', { data: 'Add=*&Delete=*&Get=*&Replace=*' }),
        forbidden('Add', './Vendor/omadm/Sync/privA/Name', { data: 'x', format: 'chr' }),
        forbidden('Delete', './Vendor/omadm/Sync/privA'),
        // an Atomic mixing an allowed command with a forbidden one is rolled back whole
        { cmd: 'Atomic', expect: [507, 425], commands: [
          { cmd: 'Add', target: './Vendor/omadm/Sync/bnode', format: 'node', expect: [216, 200] },
          { cmd: 'Replace', target: `${ACC_A}/AppAddr/1/Addr`, data: 'https://evil.example/dm', format: 'chr', expect: DENIED },
        ] },
        // B's own secret is write-only too
        { cmd: 'Get', target: `./DMAcc/${B}/AppAuth/CLCRED/AAuthSecret`, expect: DENIED_OR_NOT_ALLOWED },
        { cmd: 'Replace', target: `./DMAcc/${B}/AppAuth/CLCRED/AAuthSecret`, data: 'b-new-secret', format: 'chr', expect: 200 },
      ] }],
    });
    const dev = makeDevice({
      url: srvA.url,
      agent: {
        bootstrap: { accounts: [
          { serverId: A, addr: srvA.url, client: { type: 'BASIC', name: 'devA', secret: 'a-client-secret' }, server: { type: 'DIGEST', name: A, secret: 'a-server-secret', nonce: new Uint8Array([1, 2]) } },
          { serverId: B, addr: srvB.url, client: { type: 'BASIC', name: 'devB', secret: 'b-secret' } },
          { serverId: C, addr: 'https://legacy.example/dm', form: '1.1.2', client: { name: 'devC', secret: 'c-client-pw' }, server: { secret: 'c-server-pw' } },
        ] },
      },
    });
    // A's session first (A authenticates itself with md5; the device's basic Cred is not checked)
    const rA = await dev.agent.runSession({ serverId: A });
    assert.equal(rA.outcome, 'completed', JSON.stringify(rA));
    assert.deepEqual((await srvA.waitForSession(1)).failures, []);
    const beforeA = subtree(dev.agent, ACC_A);
    const beforeC = subtree(dev.agent, ACC_C);
    const beforePriv = subtree(dev.agent, './Vendor/omadm/Sync/privA');
    assert.ok(Object.keys(beforeA).length > 5 && Object.keys(beforeC).length > 4);

    const rB = await dev.agent.runSession({ serverId: B });
    assert.equal(rB.outcome, 'completed', JSON.stringify(rB));
    const recB = await srvB.waitForSession(1);
    assert.deepEqual(recB.failures, [], 'every attempt answered with a refusal');

    // nothing of A's or C's account, and no secret, in anything B received
    const seenByB = JSON.stringify(recB.messages.filter((m) => m.dir === 'in').map((m) => m.xml)) + JSON.stringify(recB.results);
    const resultsForB = recB.messages.filter((m) => m.dir === 'in').flatMap((m) => (m.xml ?? '').match(/<Results>[\s\S]*?<\/Results>/g) ?? []).join('\n');
    assert.ok(resultsForB.includes('./DMAcc/com.other.server/ServerID'), 'the listing of ./DMAcc reached B (its own account)');
    assert.doesNotMatch(resultsForB, /com\.mgmtsrv\.manage|com\.legacy\.server|privA/, 'B\'s results list nodes of A\'s or C\'s account or A\'s node');
    for (const s of [...SECRETS, 'a-private-token', 'b-new-secret']) {
      assert.ok(!seenByB.includes(s) && !seenByB.includes(Buffer.from(s).toString('base64')), `B saw ${s}`);
    }
    // the subtrees are unchanged, no impersonating account exists, the Atomic was rolled back
    assert.deepEqual(subtree(dev.agent, ACC_A), beforeA);
    assert.deepEqual(subtree(dev.agent, ACC_C), beforeC);
    assert.deepEqual(subtree(dev.agent, './Vendor/omadm/Sync/privA'), beforePriv);
    assert.equal(dev.agent.tree.store.exists('./Vendor/omadm/Sync/bnode'), false);
    assert.equal(dev.agent.tree.store.exists('./Vendor/omadm/Sync/loot'), false);
    assert.deepEqual(dev.agent.dmacc.accounts().filter((a) => a.serverId === A).map((a) => a.path), [ACC_A], 'exactly one account has A\'s ServerID');
    assert.equal(dev.agent.account(A)!.addr, srvA.url);
    assert.equal(Buffer.from(dev.agent.account(B)!.client.secret).toString(), 'b-new-secret', 'B changed its own secret');

    // and A still works
    const rA2 = await dev.agent.runSession({ serverId: A });
    assert.equal(rA2.outcome, 'completed');
  });
});

describe('security: ACL semantics a device integrator must know (facts §7.3)', () => {
  test('with the default Sync root ACL (Replace=*), another server may rewrite the ACL of a profile a server locked', async () => {
    // Replace on the parent is enough to change an interior node's ACL: a child ACL is no protection
    // while the parent grants Replace to everyone. Documented in docs/hardening.md (observation O1).
    const srvA = await serve({ serverId: A, packages: [{ commands: [
      { cmd: 'Add', target: './Vendor/omadm/Sync/mine', format: 'node', expect: 200 },
      { cmd: 'Replace', target: './Vendor/omadm/Sync/mine?prop=ACL', data: `Get=${A}&Replace=${A}&Delete=${A}`, expect: 200 },
    ] }] });
    const srvB = await serve({ serverId: B, packages: [{ commands: [
      { cmd: 'Get', target: './Vendor/omadm/Sync/mine?list=Struct', expect: 425 },
      { cmd: 'Replace', target: './Vendor/omadm/Sync/mine?prop=ACL', data: `Get=${B}&Replace=${B}&Delete=${B}`, expect: 200 },
      { cmd: 'Delete', target: './Vendor/omadm/Sync/mine', expect: 200 },
    ] }] });
    const dev = makeDevice({ url: srvA.url, agent: { bootstrap: { accounts: [{ serverId: A, addr: srvA.url }, { serverId: B, addr: srvB.url }] } } });
    assert.equal((await dev.agent.runSession({ serverId: A })).outcome, 'completed');
    assert.equal((await dev.agent.runSession({ serverId: B })).outcome, 'completed');
    assert.deepEqual((await srvB.waitForSession(1)).failures, []);
    assert.equal(dev.agent.tree.store.exists('./Vendor/omadm/Sync/mine'), false);
  });
});
