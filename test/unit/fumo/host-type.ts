// Compile-time check (tsc -p tsconfig.node.json): the Agent satisfies FumoHost, so `Fumo.attach(agent, …)` works.
import type { Agent } from '../../../src/agent/Agent';
import type { FumoHost } from '../../../src/fumo/FumoCsp';

type AgentIsFumoHost = Agent extends FumoHost ? true : false;
export const AGENT_IS_FUMO_HOST: AgentIsFumoHost = true;
