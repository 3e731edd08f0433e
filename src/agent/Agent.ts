/**
 * The device agent: wires the management tree, the built-in CSPs, the DPU, the alert queue, the
 * push router and the session driver into the thing a device runs. Portable: everything host
 * specific comes in through the Platform (and optional CSPs the host registers, e.g. FUMO).
 *
 *   const agent = new Agent(platform, config);     // loads the tree; installs the factory profile once
 *   agent.handleSms(sms);                           // a WAP push → maybe a server-initiated session
 *   await agent.runSession({ serverId });           // a client-initiated session
 *
 * `Agent` is `AgentCore` (./AgentCore) with the push side (router + bootstrapper, ./push) enabled
 * at construction. Hosts that want to load the push code only when needed use `AgentCore` and
 * `enablePush` (the QuickJS host does, to keep client-initiated sessions small).
 */
import type { Platform } from '../platform';
import { AgentCore } from './AgentCore';
import type { AgentConfig } from './AgentCore';
import { PUSH_PARTS } from './push';

export { accountUrl, AgentCore } from './AgentCore';
export type { AgentConfig, PushParts, RunSessionOptions } from './AgentCore';

export class Agent extends AgentCore {
  constructor(platform: Platform, cfg: AgentConfig) {
    super(platform, cfg);
    this.enablePush(PUSH_PARTS);
  }
}
