/** A fingerprint of a device's whole management tree, for "the tree did not change" assertions (node-only). */
import type { Agent } from '../../../src/agent/Agent';

/** Every node path → format, own ACL and value (hex; secrets included: this is the device's own view). */
export function treeSnapshot(agent: Agent): Record<string, string> {
  const st = agent.tree.store;
  const out: Record<string, string> = {};
  const walk = (p: string): void => {
    const info = st.info(p);
    const v = st.read(p);
    out[p] = `${info?.format}|${info?.acl}|${v ? Buffer.from(v).toString('hex') : ''}`;
    for (const c of st.children(p) ?? []) walk(`${p}/${c}`);
  };
  walk('.');
  return out;
}
