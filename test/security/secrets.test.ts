// Security (node-only): secrets never leave the device and never show in what people read. A real
// session with basic client credentials and md5 server credentials, in which the server reads the
// secret nodes (write-only: 405/425, never in Results, not even in a StructData listing), replaces
// the client secret and the nonce, and fails to write a secret to a missing account. Then every
// artefact is searched for every secret in every form (plain, Base64, the basic Cred):
//   - the device's log lines (platform.log, with their fields),
//   - the transcripts (renderMessage of every message, both directions, WBXML and XML),
//   - `omadm trace` output of the captured session file,
//   - what the device sent on the wire (apart from the Cred the protocol requires),
//   - the loopback server's session records and events (its contract: "secrets never enter a record";
//     finding F6, fixed in 1f7dee6).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../target/node/server';
import type { RunningServer } from '../../target/node/server';
import { parseScript } from '../../src/server/script';
import { renderMessage } from '../../src/agent/transcript';
import { traceMain } from '../../target/node/trace';
import { makeDevice } from '../helpers/device';
import type { TestDevice } from '../helpers/device';

const SID = 'com.mgmtsrv.manage';
const ACC = `./DMAcc/${SID}`;
const CLIENT_PW = 'Cl1entPassw0rd!';
const SERVER_PW = 'S3rverPassw0rd!';
const NEW_PW = 'N3wCl1entSecret';
const FAILED_PW = 'F4iledSecret';
const NEW_NONCE = Buffer.from('N0nceN0nceN0nce!').toString('base64');

/** Every secret, in every form it could take in text. */
const FORMS: [string, string][] = [
  ...[CLIENT_PW, SERVER_PW, NEW_PW, FAILED_PW].flatMap((s): [string, string][] => [[s, s], [`${s} (base64)`, Buffer.from(s).toString('base64')]]),
  ['basic credential', Buffer.from(`dev1:${CLIENT_PW}`).toString('base64')],
  ['new nonce (base64)', NEW_NONCE],
];

function leaks(where: string, text: string, forms: [string, string][] = FORMS): string[] {
  return forms.filter(([, v]) => text.includes(v)).map(([name]) => `${name} in ${where}`);
}

const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await s.close(); });

async function session(encoding: 'wbxml' | 'xml'): Promise<{ dev: TestDevice; srv: RunningServer }> {
  const srv = await startServer({
    script: parseScript({
      serverId: SID,
      encoding,
      auth: { client: { type: 'basic', username: 'dev1', password: CLIENT_PW }, server: { type: 'md5', username: SID, password: SERVER_PW, nonce: 'AQIDBA==' } },
      packages: [{ commands: [
        { cmd: 'Get', target: `${ACC}/AppAuth/CLCRED/AAuthSecret`, expect: [405, 425] },
        { cmd: 'Get', target: `${ACC}/AppAuth/SRVCRED/AAuthSecret`, expect: [405, 425] },
        { cmd: 'Get', target: `${ACC}/AppAuth/SRVCRED/AAuthData`, expect: [405, 425] },
        { cmd: 'Get', target: `${ACC}?list=StructData`, expect: 200 },
        { cmd: 'Replace', target: `${ACC}/AppAuth/CLCRED/AAuthSecret`, data: NEW_PW, format: 'chr', expect: 200 },
        { cmd: 'Replace', target: `${ACC}/AppAuth/CLCRED/AAuthData`, data: NEW_NONCE, format: 'b64', expect: 200 },
        { cmd: 'Replace', target: './DMAcc/nobody/AppAuth/CLCRED/AAuthSecret', data: FAILED_PW, format: 'chr', expect: [404, 425] },
        { cmd: 'Atomic', expect: [507, 404, 425], commands: [
          { cmd: 'Replace', target: `${ACC}/AppAuth/SRVCRED/AAuthSecret`, data: FAILED_PW, format: 'chr' },
          { cmd: 'Delete', target: './DevInfo/DevId' },
        ] },
      ] }],
    }),
    port: 0,
  });
  servers.push(srv);
  const dev = makeDevice({
    url: srv.url,
    account: {
      authPref: 'BASIC', defaultEncoding: encoding === 'xml' ? 'application/vnd.syncml.dm+xml' : 'application/vnd.syncml.dm+wbxml',
      client: { type: 'BASIC', name: 'dev1', secret: CLIENT_PW, nonce: new Uint8Array([5, 6, 7, 8]) },
      server: { type: 'DIGEST', name: SID, secret: SERVER_PW, nonce: new Uint8Array([1, 2, 3, 4]) },
    },
  });
  const r = await dev.agent.runSession();
  assert.equal(r.outcome, 'completed', JSON.stringify(r));
  assert.deepEqual((await srv.waitForSession(1)).failures, []);
  return { dev, srv };
}

/** `omadm trace FILE` on the captured session, stdout captured. */
async function traceOutput(dev: TestDevice): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'omadm-trace-')), 'trace.json');
  writeFileSync(file, JSON.stringify(dev.traces.map((e) => ({ ...e, body: Buffer.from(e.body).toString('base64') }))));
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => { out.push(String(s)); return true; }) as typeof process.stdout.write;
  try {
    assert.equal(await traceMain([file]), 0);
  } finally {
    process.stdout.write = write;
  }
  return out.join('');
}

describe('security: secrets are write-only and redacted everywhere people look', () => {
  for (const encoding of ['wbxml', 'xml'] as const) {
    test(`${encoding}: device logs, transcripts, omadm trace and the wire carry no secret`, async () => {
      const { dev } = await session(encoding);
      // the secrets really were used and changed (so the search below is meaningful)
      assert.equal(Buffer.from(dev.agent.account()!.client.secret).toString(), NEW_PW);
      assert.equal(Buffer.from(dev.agent.account()!.client.nonce).toString('base64'), NEW_NONCE);
      assert.ok(dev.traces.some((t) => t.dir === 'out' && Buffer.from(t.body).includes(Buffer.from(FORMS.find(([n]) => n === 'basic credential')![1]))), 'the basic Cred travels on the wire');
      const found = [
        ...leaks('device logs', JSON.stringify(dev.logs)),
        ...leaks('transcripts', dev.traces.map((t) => renderMessage(t.body)).join('\n')),
        ...leaks('omadm trace output', await traceOutput(dev)),
        // on the wire, only the Cred the protocol requires may carry the client password
        ...leaks('messages sent', dev.traces.filter((t) => t.dir === 'out').map((t) => Buffer.from(t.body).toString('latin1')).join('\n'), FORMS.filter(([n]) => n !== 'basic credential')),
      ];
      assert.deepEqual(found, []);
      // Cred data is shown as *** in transcripts, the Cred element itself stays visible
      const rendered = dev.traces.filter((t) => t.dir === 'out').map((t) => renderMessage(t.body)).join('\n');
      assert.match(rendered, /<Cred>[\s\S]*<Data>\*\*\*<\/Data>/);
      // no Results item carries a value of a secret node
      const resultsXml = dev.traces.filter((t) => t.dir === 'out').map((t) => renderMessage(t.body, { redact: false })).join('\n').match(/<Results>[\s\S]*?<\/Results>/g) ?? [];
      for (const r of resultsXml) {
        for (const item of r.match(/<Item>[\s\S]*?<\/Item>/g) ?? []) {
          if (/(AAuthSecret|AAuthData)\s*<\/LocURI>/.test(item)) assert.doesNotMatch(item, /<Data>/, `a secret node value in Results: ${item}`);
        }
      }
    });
  }

  test('the loopback server\'s records and events carry no secret (its "secrets never enter a record" contract; finding F6)', async () => {
    const { srv } = await session('xml');
    const text = JSON.stringify(srv.sessions()) + JSON.stringify(srv.dm.events());
    assert.deepEqual(leaks('server records', text), []);
  });
});
