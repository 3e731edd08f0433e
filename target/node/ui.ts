/** The UI policies (src/agent/ui.ts) on Node: answers on the next turn of the event loop. */
import { policyUi as make } from '../../src/agent/ui';
import type { UserInterface } from '../../src/platform';

export function policyUi(policy: 'accept' | 'reject', log?: (msg: string) => void): UserInterface {
  return make(policy, (cb) => setImmediate(cb), log);
}
