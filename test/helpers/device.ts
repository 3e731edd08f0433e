/** A device for end-to-end tests: the Agent on the real Node platform with a temp storage folder. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../src/agent/Agent';
import type { AgentConfig } from '../../src/agent/Agent';
import type { DmAccountProfile } from '../../src/csp/dmacc';
import type { AuthEvent } from '../../src/server/record';
import type { LogLevel } from '../../src/platform';
import type { TraceEntry } from '../../src/session/Client';
import { nodePlatform } from '../../target/node/platform';
import { policyUi } from '../../target/node/ui';

export const DEV_ID = 'IMEI:493005100592800';

export interface TestDevice {
  agent: Agent;
  dir: string;
  logs: { level: LogLevel; msg: string; fields?: Record<string, unknown> }[];
  traces: TraceEntry[];
}

export interface DeviceOptions {
  url: string;
  ca?: string;
  account?: Partial<DmAccountProfile>;
  agent?: Partial<AgentConfig>;
  /** Reuse a storage folder (simulates a restart). */
  dir?: string;
  ui?: 'accept' | 'reject';
}

export function makeDevice(o: DeviceOptions): TestDevice {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'omadm-dev-'));
  const logs: TestDevice['logs'] = [];
  const traces: TraceEntry[] = [];
  const debug = process.env['OMADM_TEST_DEBUG'] === '1';
  const platform = nodePlatform({
    dir,
    network: o.ca ? { ca: o.ca } : {},
    log: (level, msg, fields) => {
      logs.push(fields === undefined ? { level, msg } : { level, msg, fields });
      if (debug) process.stderr.write(`[${level}] ${msg} ${fields ? JSON.stringify(fields) : ''}\n`);
    },
    ...(o.ui ? { ui: policyUi(o.ui) } : {}),
  });
  const cfg: AgentConfig = {
    devInfo: { devId: DEV_ID, man: 'Acme Devices', mod: 'Widget 3000', dmV: 'omadm 0.1', lang: 'en-US' },
    devDetail: { devTyp: 'router', oem: 'Acme', fwV: 'FW-1.0.0', swV: '0.1.0', hwV: 'A1' },
    bootstrap: { accounts: [{ serverId: 'com.mgmtsrv.manage', addr: o.url, ...(o.account ?? {}) }] },
    onTrace: (e) => traces.push(e),
    ...(o.agent ?? {}),
  };
  return { agent: new Agent(platform, cfg), dir, logs, traces };
}

/**
 * The auth events of a server session record that show a failure or a challenge (401/407), judged on
 * what happened (side, scheme, event, code, detail): `at` (a millisecond timestamp, whose digits may
 * well contain "401") and `msgId` are not outcomes.
 */
export function authTrouble(events: readonly AuthEvent[]): AuthEvent[] {
  return events.filter(({ side, scheme, event, code, detail }) => /fail|401|407/i.test(JSON.stringify({ side, scheme, event, code, detail })));
}
